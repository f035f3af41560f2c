"""Connections to the warehouse and the schemas Social360 owns outside dbt.

dbt owns ``staging``, ``intermediate``, ``marts_candidate`` and ``snapshots``; this module
creates what the loaders, the scorer, the gate and the publisher write to: ``raw``,
``enrichment``, ``audit`` and the published schema ``marts`` with the ``bi_reader`` grants.
Every statement is idempotent, so ``migrate()`` runs at the start of every stage.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

from social360.core import config, warehouse
from social360.core.catalog import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA, raw_tables  # noqa: F401

log = logging.getLogger(__name__)

BI_ROLE = warehouse.BI_USER

_MIGRATION_LOCK = 360_001
_migrated: set[str] = set()


def connect(url: str | None = None, **kwargs) -> psycopg.Connection:
    """A psycopg connection to the warehouse (schemas migrated on first use in this process)."""
    url = url or warehouse.url()
    if url not in _migrated:
        with psycopg.connect(url, autocommit=True) as conn:
            migrate(conn)
        _migrated.add(url)
    return psycopg.connect(url, **kwargs)


@contextmanager
def transaction(url: str | None = None) -> Iterator[psycopg.Connection]:
    """A connection whose work commits on success and rolls back on error."""
    with connect(url) as conn, conn.transaction():
        yield conn


def _raw_table_ddl(table: str) -> sql.Composed:
    return sql.SQL(
        """
        CREATE TABLE IF NOT EXISTS raw.{table} (
            loaded_seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            native_id         text        NOT NULL,
            payload           jsonb       NOT NULL,
            payload_hash      text        NOT NULL,
            context           jsonb       NOT NULL DEFAULT '{{}}'::jsonb,
            source_updated_at timestamptz,
            extracted_at      timestamptz NOT NULL DEFAULT now(),
            run_id            text        NOT NULL,
            is_deleted        boolean     NOT NULL DEFAULT false,
            CONSTRAINT {unique} UNIQUE (native_id, payload_hash)
        );
        CREATE INDEX IF NOT EXISTS {by_native} ON raw.{table} (native_id, loaded_seq DESC);
        -- rows land in time order: a block-range index finds the newest ones for incremental
        -- staging at almost no cost to landing
        CREATE INDEX IF NOT EXISTS {by_extracted} ON raw.{table} USING brin (extracted_at);
        COMMENT ON TABLE raw.{table} IS {comment};
        """
    ).format(
        table=sql.Identifier(table),
        unique=sql.Identifier(f"{table}_native_id_payload_hash_key"),
        by_native=sql.Identifier(f"{table}_native_id_seq_idx"),
        by_extracted=sql.Identifier(f"{table}_extracted_at_brin"),
        comment=sql.Literal(
            f"Append-only landing of {table}: every distinct version of each source object, JSON as received."
        ),
    )


MIGRATION = """
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS enrichment;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS marts_candidate;
CREATE SCHEMA IF NOT EXISTS retired;
CREATE SCHEMA IF NOT EXISTS gate_scratch;

CREATE TABLE IF NOT EXISTS raw.extract_state (
    source      text        NOT NULL,
    stream      text        NOT NULL,
    cursor      jsonb       NOT NULL,
    run_id      text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, stream)
);
COMMENT ON TABLE raw.extract_state IS 'Cursor of each extraction stream, written in the transaction that lands the rows it covers.';

CREATE TABLE IF NOT EXISTS raw.extract_runs (
    run_id       text        NOT NULL,
    source       text        NOT NULL,
    stream       text        NOT NULL,
    pages        integer     NOT NULL,
    rows_seen    bigint      NOT NULL,
    rows_landed  bigint      NOT NULL,
    status       text        NOT NULL,
    message      text,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS enrichment.post_scores (
    source_table     text        NOT NULL,
    native_id        text        NOT NULL,
    payload_hash     text        NOT NULL,
    scorer_version   text        NOT NULL,
    sentiment_score  double precision NOT NULL CHECK (sentiment_score BETWEEN -1 AND 1),
    sentiment_label  text        NOT NULL CHECK (sentiment_label IN ('negative', 'neutral', 'positive')),
    intent           text        NOT NULL CHECK (intent IN ('complaint', 'question', 'praise', 'other')),
    language         text,
    scored_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source_table, native_id, payload_hash, scorer_version)
);
COMMENT ON TABLE enrichment.post_scores IS 'Sentiment and intent of every version of every social post, once per scorer version.';

CREATE TABLE IF NOT EXISTS audit.gate_results (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id              text        NOT NULL,
    mart                text        NOT NULL,
    suite               text        NOT NULL,
    success             boolean     NOT NULL,
    evaluated           integer     NOT NULL,
    failed_errors       integer     NOT NULL,
    failed_warnings     integer     NOT NULL,
    failures            jsonb       NOT NULL DEFAULT '[]'::jsonb,
    row_count           bigint,
    data_docs_url       text,
    checked_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS audit.publish_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id          text        NOT NULL,
    mart            text        NOT NULL,
    published       boolean     NOT NULL,
    version         integer,
    row_count       bigint,
    reason          text        NOT NULL,
    logged_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS publish_log_mart_idx ON audit.publish_log (mart, logged_at DESC);

-- The quality gate: what each gate validated, against which build time and candidate table.
ALTER TABLE audit.gate_results ADD COLUMN IF NOT EXISTS relations text[];
ALTER TABLE audit.gate_results ADD COLUMN IF NOT EXISTS reference_time timestamptz;
ALTER TABLE audit.gate_results ADD COLUMN IF NOT EXISTS candidate_relid bigint;
ALTER TABLE audit.gate_results ADD COLUMN IF NOT EXISTS duration_seconds real;
ALTER TABLE audit.gate_results ADD COLUMN IF NOT EXISTS row_checks text;
ALTER TABLE audit.gate_results ADD COLUMN IF NOT EXISTS contacts_through timestamptz;
ALTER TABLE audit.gate_results ADD COLUMN IF NOT EXISTS changed_rows bigint;
COMMENT ON COLUMN audit.gate_results.changed_rows IS 'Rows of the candidate its published version did not hold, on which the row-local checks ran; null when every row was validated.';
CREATE INDEX IF NOT EXISTS gate_results_run_idx ON audit.gate_results (run_id, mart);
ALTER TABLE audit.publish_log ADD COLUMN IF NOT EXISTS attempts integer;

CREATE TABLE IF NOT EXISTS audit.gate_failures (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    gate_result_id  bigint      NOT NULL REFERENCES audit.gate_results (id) ON DELETE CASCADE,
    run_id          text        NOT NULL,
    mart            text        NOT NULL,
    relation        text,
    expectation     text        NOT NULL,
    check_kind      text,
    severity        text        NOT NULL CHECK (severity IN ('error', 'warning')),
    observed        text,
    details         jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX IF NOT EXISTS gate_failures_run_idx ON audit.gate_failures (run_id, mart);
COMMENT ON TABLE audit.gate_failures IS 'One row per failed expectation of a gate run, with the value it observed.';

CREATE TABLE IF NOT EXISTS audit.relation_validations (
    run_id          text        NOT NULL,
    relation        text        NOT NULL,
    relfilenode     bigint      NOT NULL,
    evaluated       integer     NOT NULL,
    failures        jsonb       NOT NULL,
    validated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, relation, relfilenode)
);
CREATE TABLE IF NOT EXISTS audit.raw_ledger (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    relation     text        NOT NULL,
    row_count    bigint      NOT NULL,
    run_id       text        NOT NULL,
    note         text,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS raw_ledger_relation_idx ON audit.raw_ledger (relation, id DESC);
COMMENT ON TABLE audit.raw_ledger IS 'Rows of each append-only raw table when a gate last found none lost: a raw table with fewer rows lost data.';

CREATE TABLE IF NOT EXISTS audit.build_lease (
    name         text        PRIMARY KEY,
    holder       text        NOT NULL,
    host         text        NOT NULL,
    pid          integer     NOT NULL,
    in_process   boolean     NOT NULL,
    acquired_at  timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
COMMENT ON TABLE audit.build_lease IS 'Who builds the warehouse now: one build at a time (social360.core.build_lock).';

COMMENT ON TABLE audit.relation_validations IS 'Suites of upstream tables dbt rebuilds (staging, intermediate), validated once per run and reused by every mart''s gate; keyed by the table''s file node, which a rebuild changes.';
"""

BI_GRANTS = r"""
DO $$
DECLARE
    other record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bi_reader') THEN
        BEGIN
            CREATE ROLE bi_reader LOGIN;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'role bi_reader does not exist and this role may not create it';
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bi_reader') THEN
        EXECUTE 'GRANT USAGE ON SCHEMA marts TO bi_reader';
        EXECUTE 'GRANT SELECT ON ALL TABLES IN SCHEMA marts TO bi_reader';
        -- SELECT on marts and nothing else: no other schema of this database (dbt's included).
        FOR other IN SELECT nspname FROM pg_namespace
                     WHERE nspname NOT IN ('marts', 'pg_catalog', 'information_schema')
                       AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%' LOOP
            EXECUTE format('REVOKE ALL ON SCHEMA %I FROM bi_reader', other.nspname);
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM bi_reader', other.nspname);
        END LOOP;
        -- PostgreSQL lets every role use schema public and create temporary tables: take both
        -- back where this role owns them (the embedded warehouse; external servers keep theirs).
        IF (SELECT pg_has_role(nspowner, 'USAGE') FROM pg_namespace WHERE nspname = 'public') THEN
            EXECUTE 'REVOKE ALL ON SCHEMA public FROM PUBLIC';
        END IF;
        IF (SELECT pg_has_role(datdba, 'USAGE') FROM pg_database WHERE datname = current_database()) THEN
            EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
        END IF;
    END IF;
END
$$;
"""


def migrate(conn: psycopg.Connection) -> None:
    """Create or update every schema and table outside dbt. Safe to run concurrently and repeatedly."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(MIGRATION)
        for table in raw_tables():
            conn.execute(_raw_table_ddl(table))
        conn.execute(BI_GRANTS)


def table_exists(conn: psycopg.Connection, schema: str, table: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s", (schema, table)
        ).fetchone()
        is not None
    )


def count_rows(conn: psycopg.Connection, schema: str, table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
    return conn.execute(query).fetchone()[0]


def source_url(database: str) -> str:
    """URL of a source database (CRM or the demo social source) on the warehouse server, or its own env var."""
    import os

    override = {config.CRM_DB: "CRM_URL", config.DEMO_SOCIAL_DB: "DEMO_SOCIAL_URL"}.get(database)
    if override and os.environ.get(override):
        return os.environ[override]
    return warehouse.url(database)
