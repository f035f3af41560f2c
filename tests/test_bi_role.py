"""The BI role on the real warehouse: ``bi_reader`` can SELECT the published marts and nothing else
(no other schema of the warehouse, no writes, no CRM or demo database), and no customer e-mail or
phone number reaches ``marts`` in clear text."""

from __future__ import annotations

import re

import psycopg
import pytest
from psycopg import sql

from social360.core import warehouse
from social360.core.catalog import PUBLISHED_MARTS
from social360.orchestration import stages as pipeline
from social360.publish import publisher as publish
from tests.demo_data import NOW, load_demo

SYSTEM = ("pg_catalog", "information_schema")


@pytest.fixture(scope="module")
def built(module_databases):
    """The demo extracted, scored and built by dbt; every mart published (mart_sentiment twice, so a
    retired version exists) and a new mart_sentiment candidate waiting in marts_candidate."""
    if warehouse._read_state() is None:  # pragma: no cover - external server
        pytest.skip("bi_reader's password is only known for the embedded server")
    mp = pytest.MonkeyPatch()
    for var, value in (("WAREHOUSE_URL", module_databases.warehouse_url), ("CRM_URL", module_databases.crm_url),
                       ("DEMO_SOCIAL_URL", module_databases.demo_url), ("SOCIAL360_SOURCES", "demo")):
        mp.setenv(var, value)
    load_demo(seed=9, customers=40, posts=200)
    for source in pipeline.configured_social_sources():
        pipeline.extract_social_source(source, "bi")
    for table in pipeline.crm_tables():
        pipeline.sync_crm_table(table, "bi")
    pipeline.enrich()
    summary = pipeline.build_models(as_of=NOW.isoformat())
    assert summary["success"], summary
    for mart in PUBLISHED_MARTS:
        publish.publish(mart, run_id="bi")
    with psycopg.connect(module_databases.warehouse_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE marts_candidate.mart_sentiment AS TABLE marts.mart_sentiment")
    publish.publish("mart_sentiment", run_id="bi-2")
    with psycopg.connect(module_databases.warehouse_url, autocommit=True) as conn:  # a candidate awaiting its gate
        conn.execute("CREATE TABLE marts_candidate.mart_sentiment AS TABLE marts.mart_sentiment")
    yield module_databases
    mp.undo()


def _bi(dbs, database: str | None = None) -> str:
    state = warehouse._read_state()
    return warehouse._url(warehouse.BI_USER, state.bi_password, state.port, database or dbs.names[0])


def _schemas(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%' ORDER BY 1")]


def _tables(url: str, outside_marts: bool) -> list[tuple[str, str]]:
    op = "<>" if outside_marts else "="
    with psycopg.connect(url) as conn:
        return conn.execute(
            f"SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema {op} 'marts' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2").fetchall()


def test_bi_reader_may_use_no_schema_but_marts(built):
    url = built.warehouse_url
    schemas = _schemas(url)
    assert {"raw", "enrichment", "audit", "staging", "intermediate", "marts_candidate", "retired", "marts",
            "public"} <= set(schemas)
    with psycopg.connect(url) as conn:
        for schema in schemas:
            usage, create = conn.execute(
                "SELECT has_schema_privilege('bi_reader', %s, 'USAGE'), has_schema_privilege('bi_reader', %s, 'CREATE')",
                (schema, schema)).fetchone()
            assert usage == (schema == "marts"), schema
            assert not create, schema


def test_bi_reader_selects_every_mart_and_nothing_else(built):
    url = built.warehouse_url
    outside = _tables(url, outside_marts=True)
    assert {s for s, _ in outside} >= {"raw", "enrichment", "audit", "staging", "intermediate", "marts_candidate",
                                       "retired"}
    marts = _tables(url, outside_marts=False)
    assert {t for _, t in marts} >= set(PUBLISHED_MARTS)
    with psycopg.connect(_bi(built), autocommit=True) as conn:
        for schema, table in marts:
            conn.execute(sql.SQL("SELECT * FROM {}.{} LIMIT 1").format(sql.Identifier(schema), sql.Identifier(table)))
        for schema, table in outside:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(sql.SQL("SELECT 1 FROM {}.{} LIMIT 1").format(sql.Identifier(schema), sql.Identifier(table)))
    with psycopg.connect(url) as conn:
        leaks = conn.execute(
            "SELECT table_schema, table_name, privilege_type FROM information_schema.table_privileges "
            "WHERE grantee IN ('bi_reader', 'PUBLIC') AND (table_schema <> 'marts' OR privilege_type <> 'SELECT') "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
    assert leaks == []


def test_bi_reader_cannot_write_create_or_reach_the_sources(built):
    with psycopg.connect(_bi(built), autocommit=True) as conn:
        for statement in (
            "INSERT INTO marts.mart_sentiment SELECT * FROM marts.mart_sentiment LIMIT 1",
            "UPDATE marts.dim_customers SET full_name = 'x'",
            "DELETE FROM marts.fct_interactions",
            "TRUNCATE marts.mart_response_times",
            "CREATE TABLE marts.mine (id int)",
            "CREATE TABLE public.mine (id int)",
            "CREATE TEMPORARY TABLE mine (id int)",
            "ALTER TABLE marts.mart_sentiment RENAME TO renamed",
            "DROP TABLE marts.mart_sentiment",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    for database in built.names[1:]:  # the CRM and the demo social feed
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(_bi(built, database)).close()


def test_no_customer_email_or_phone_reaches_marts_in_clear_text(built):
    url = built.warehouse_url
    with psycopg.connect(url) as conn:
        emails = {r[0].lower() for r in conn.execute("SELECT payload->>'email' FROM raw.crm_customers") if r[0]}
        phones = {re.sub(r"\D", "", r[0]) for r in conn.execute("SELECT payload->>'phone' FROM raw.crm_customers")
                  if r[0]}
    assert emails and phones
    with psycopg.connect(_bi(built)) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'marts' "
            "AND data_type IN ('text', 'character varying')").fetchall()
        assert not [c for _, c in columns if c in ("email", "phone")]
        values: set[str] = set()
        for table, column in columns:
            values |= {r[0] for r in conn.execute(
                sql.SQL("SELECT DISTINCT {} FROM marts.{} WHERE {} IS NOT NULL").format(
                    sql.Identifier(column), sql.Identifier(table), sql.Identifier(column)))}
    assert len(values) > 100
    found_emails = {m.lower() for v in values for m in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", v)}
    assert not found_emails & emails
    assert not {re.sub(r"\D", "", v) for v in values} & phones


def test_bi_reader_connects_to_the_warehouse_only_and_creates_nothing_there(built):
    for database in ("postgres", "template1"):
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(_bi(built, database)).close()
    with psycopg.connect(built.warehouse_url) as conn:
        assert not conn.execute("SELECT has_database_privilege('bi_reader', 'postgres', 'TEMPORARY')").fetchone()[0]


def test_bi_reader_sessions_are_bounded(built):
    """A statement timeout, idle timeouts, work_mem and temp_file_limit by default, temp_file_limit
    beyond its reach (superuser-only), and a connection limit."""
    with psycopg.connect(_bi(built), autocommit=True) as conn:
        shown = {name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
                 for name in warehouse.BI_ROLE_SETTINGS}
        assert shown == warehouse.BI_ROLE_SETTINGS
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SET temp_file_limit = '100GB'")
        others = [psycopg.connect(_bi(built)) for _ in range(warehouse.BI_CONNECTION_LIMIT - 1)]
        try:
            with pytest.raises(psycopg.OperationalError, match="too many connections for role"):
                psycopg.connect(_bi(built)).close()
        finally:
            for other in others:
                other.close()


def test_email_hash_is_keyed_and_its_key_stays_out_of_sql_and_artifacts(built):
    """``email_hash`` is HMAC-SHA256 under the deployment's key: guessing the addresses from the
    published names (first.last<id>@domain, as the CRM writes them) matches none of them, and the
    key appears in no dbt artifact or log; the generated key file is mode 600."""
    import hashlib
    import os
    import stat

    from social360.core import config, pii_hash
    from social360.demo import phrases

    with psycopg.connect(built.warehouse_url) as conn:
        rows = conn.execute("SELECT c.email, d.email_hash, d.full_name, d.customer_id FROM marts.dim_customers d "
                            "JOIN staging.stg_crm__customers c USING (customer_id) WHERE c.email IS NOT NULL").fetchall()
    assert len(rows) >= 30
    assert all(digest == pii_hash.digest(email) for email, digest, _, _ in rows)
    published = {digest for _, digest, _, _ in rows}
    guesses = {f"{name.replace(' ', '.')}{cid}@{domain}".lower() for _, _, name, cid in rows
               for domain in phrases.EMAIL_DOMAINS}
    assert {email for email, *_ in rows} <= guesses  # the guesses hold every address...
    for unkeyed in (hashlib.md5, hashlib.sha256):  # ...yet no unkeyed hash of one is published
        assert not {unkeyed(g.encode()).hexdigest() for g in guesses} & published
    key = pii_hash.block_key_hex()
    for path in config.home().joinpath("dbt").rglob("*"):
        if path.is_file():
            assert key not in path.read_text(errors="replace"), path
    if not os.environ.get(pii_hash.KEY_ENV):
        assert stat.S_IMODE(pii_hash.key_path().stat().st_mode) == 0o600
