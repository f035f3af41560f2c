"""Write-audit-publish: swap a validated candidate mart into the published schema.

The swap is one transaction under a lock timeout, retried a bounded number of times with
backoff: grant ``bi_reader`` on the candidate, move the published table to ``retired``, move the
candidate into ``marts``, and re-point every view that read the old table at the new one (a view
follows its table by identity, so it would otherwise keep reading the retired copy). PostgreSQL
DDL is transactional: a reader sees the old version or the new one, never a missing, empty or
half-built table, and never a table it may not read. Publishes of one mart are serialised by an
advisory lock. The previous version stays in ``retired`` for one cycle (rollback); older ones
are dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from psycopg import errors, sql
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from social360.core import db

log = logging.getLogger(__name__)

RETIRED_SCHEMA = "retired"
RETRYABLE = (errors.LockNotAvailable, errors.DeadlockDetected)


class PublishError(RuntimeError):
    """A mart could not be published; the previous version stays in place."""


@dataclass
class PublishResult:
    mart: str
    published: bool
    version: int | None
    row_count: int | None
    reason: str
    attempts: int = 1


@dataclass(frozen=True)
class DependentView:
    schema: str
    name: str
    kind: str  # v (view) or m (materialized view)
    definition: str

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def _bi_role_exists(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (db.BI_ROLE,)).fetchone() is not None


def _next_version(conn: psycopg.Connection, mart: str) -> int:
    row = conn.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM audit.publish_log WHERE mart = %s AND published", (mart,)
    ).fetchone()
    return row[0]


def _log(conn: psycopg.Connection, run_id: str, mart: str, published: bool, version: int | None,
         row_count: int | None, reason: str, attempts: int | None = None) -> None:
    conn.execute(
        "INSERT INTO audit.publish_log (run_id, mart, published, version, row_count, reason, attempts) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (run_id, mart, published, version, row_count, reason, attempts),
    )


def _relid(conn: psycopg.Connection, schema: str, table: str) -> int | None:
    return conn.execute("SELECT to_regclass(%s)::oid::bigint", (f'"{schema}"."{table}"',)).fetchone()[0]


def dependent_views(conn: psycopg.Connection, relid: int) -> list[DependentView]:
    """Views reading table ``relid``, with fully qualified definitions (so they can be re-created)."""
    previous = conn.execute("SELECT current_setting('search_path')").fetchone()[0]
    conn.execute("SELECT set_config('search_path', 'pg_catalog', true)")
    try:
        rows = conn.execute(
            """
            SELECT DISTINCT n.nspname, v.relname, v.relkind, pg_get_viewdef(v.oid)
            FROM pg_depend d
            JOIN pg_rewrite r ON r.oid = d.objid
            JOIN pg_class v ON v.oid = r.ev_class
            JOIN pg_namespace n ON n.oid = v.relnamespace
            WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
              AND d.refobjid = %s AND v.oid <> %s
            ORDER BY 1, 2
            """,
            (relid, relid),
        ).fetchall()
    finally:
        conn.execute("SELECT set_config('search_path', %s, true)", (previous,))
    return [DependentView(*row) for row in rows]


def _repoint(conn: psycopg.Connection, views: list[DependentView], mart: str) -> None:
    """Re-create each view over the newly published table (same name, owner and grants)."""
    for view in views:
        if view.kind != "v":
            raise PublishError(
                f"materialized view {view.qualified} reads marts.{mart} and cannot follow a swap; "
                "replace it with a view or drop it"
            )
        try:
            with conn.transaction():
                conn.execute(sql.SQL("CREATE OR REPLACE VIEW {}.{} AS ").format(
                    sql.Identifier(view.schema), sql.Identifier(view.name)) + sql.SQL(view.definition))
        except psycopg.Error as exc:
            raise PublishError(
                f"view {view.qualified} reads marts.{mart} and does not fit its new version: {exc}".strip()
            ) from exc


PUBLISHED_NOTE = "Published version"


def _published_comment(conn: psycopg.Connection, relid: int, version: int, run_id: str) -> str:
    """The model's description (dbt's persist_docs wrote it on the candidate) with the version appended."""
    comment = conn.execute("SELECT obj_description(%s::oid, 'pg_class')", (relid,)).fetchone()[0] or ""
    description = comment.split(f"\n\n{PUBLISHED_NOTE} ")[0].strip()
    note = f"{PUBLISHED_NOTE} {version} (run {run_id}). Validated before publish."
    return f"{description}\n\n{note}" if description else note


def _swap(conn: psycopg.Connection, mart: str, run_id: str, lock_timeout: str,
          expected_relid: int | None) -> tuple[int, int]:
    ident = sql.Identifier(mart)
    candidate = sql.Identifier(db.CANDIDATE_SCHEMA)
    published = sql.Identifier(db.PUBLISHED_SCHEMA)
    retired = sql.Identifier(RETIRED_SCHEMA)
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"social360.publish.publisher.{mart}",))
        relid = _relid(conn, db.CANDIDATE_SCHEMA, mart)
        if relid is None:
            raise LookupError(f"no candidate table {db.CANDIDATE_SCHEMA}.{mart} to publish")
        if expected_relid is not None and relid != expected_relid:
            raise PublishError(f"{db.CANDIDATE_SCHEMA}.{mart} was rebuilt after it was validated; not publishing it")
        version = _next_version(conn, mart)
        row_count = db.count_rows(conn, db.CANDIDATE_SCHEMA, mart)
        if _bi_role_exists(conn):  # readable the moment it appears in marts
            conn.execute(sql.SQL("GRANT SELECT ON {}.{} TO {}").format(candidate, ident, sql.Identifier(db.BI_ROLE)))
        conn.execute(sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(
            candidate, ident, sql.Literal(_published_comment(conn, relid, version, run_id))))
        old = _relid(conn, db.PUBLISHED_SCHEMA, mart)
        views = dependent_views(conn, old) if old is not None else []
        if old is not None:
            retired_name = sql.Identifier(f"{mart}__v{version - 1}")
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(retired, retired_name))
            conn.execute(sql.SQL("ALTER TABLE {}.{} RENAME TO {}").format(published, ident, retired_name))
            conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(published, retired_name, retired))
            if _bi_role_exists(conn):
                conn.execute(sql.SQL("REVOKE ALL ON {}.{} FROM {}").format(
                    retired, retired_name, sql.Identifier(db.BI_ROLE)))
        conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(candidate, ident, published))
        _repoint(conn, views, mart)
        _log(conn, run_id, mart, True, version, row_count, "gate passed")
    return version, row_count


def _drop_old_versions(conn: psycopg.Connection, mart: str, keep_version: int, lock_timeout: str) -> None:
    """Drop retired versions older than the one just replaced; never blocks a reader for long."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
        (RETIRED_SCHEMA, f"{mart}\\_\\_v%"),
    ).fetchall()
    for (name,) in rows:
        suffix = name.rsplit("__v", 1)[-1]
        if suffix.isdigit() and int(suffix) < keep_version:
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
                    conn.execute(sql.SQL("DROP TABLE {}.{}").format(sql.Identifier(RETIRED_SCHEMA), sql.Identifier(name)))
            except (errors.LockNotAvailable, errors.DependentObjectsStillExist) as exc:
                log.info("retired table %s not dropped yet (%s); a later publish will", name, type(exc).__name__)


def publish(mart: str, *, run_id: str, url: str | None = None, lock_timeout: str = "5s",
            max_attempts: int = 5, expected_relid: int | None = None, max_wait: float = 8.0) -> PublishResult:
    """Swap ``marts_candidate.<mart>`` into ``marts``; retry lock timeouts and deadlocks with backoff.

    ``expected_relid`` is the candidate table the gate validated: a candidate rebuilt since then is
    refused. Failures are recorded in ``audit.publish_log`` and raised as :class:`PublishError`.
    """
    with db.connect(url, autocommit=True) as conn:
        retrying = Retrying(
            stop=stop_after_attempt(max_attempts),
            wait=wait_exponential(multiplier=0.5, max=max_wait),
            retry=retry_if_exception_type(RETRYABLE),
            before_sleep=lambda state: log.warning(
                "publish of %s waited too long for a lock (attempt %s); retrying", mart, state.attempt_number),
            reraise=True,
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    version, row_count = _swap(conn, mart, run_id, lock_timeout, expected_relid)
        except RETRYABLE as exc:
            reason = f"{mart}: not published, no lock within {lock_timeout} after {attempts} attempts ({exc})".strip()
            _log(conn, run_id, mart, False, None, None, reason, attempts)
            raise PublishError(reason) from exc
        except (LookupError, PublishError) as exc:
            reason = f"{mart}: not published: {exc}"
            _log(conn, run_id, mart, False, None, None, reason, attempts)
            raise PublishError(reason) from exc
        conn.execute("UPDATE audit.publish_log SET attempts = %s WHERE id = (SELECT max(id) FROM audit.publish_log "
                     "WHERE mart = %s AND run_id = %s AND published)", (attempts, mart, run_id))
        _drop_old_versions(conn, mart, version - 1, lock_timeout)
    log.info("published %s version %s (%s rows, %s attempt(s))", mart, version, row_count, attempts)
    return PublishResult(mart, True, version, row_count, "gate passed", attempts)


def validated_candidate(mart: str, run_id: str, *, url: str | None = None) -> int | None:
    """The candidate table (its oid) that this run's last gate of ``mart`` passed; raises
    :class:`PublishError` (and records it) when the run has no passing gate for the mart."""
    with db.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT success, candidate_relid FROM audit.gate_results WHERE run_id = %s AND mart = %s "
            "ORDER BY id DESC LIMIT 1",
            (run_id, mart),
        ).fetchone()
        if row is None or not row[0]:
            reason = f"{mart}: not published: no passing gate for run {run_id}"
            _log(conn, run_id, mart, False, None, None, reason)
            raise PublishError(reason)
    return row[1]


def record_blocked(mart: str, *, run_id: str, reason: str, url: str | None = None) -> PublishResult:
    """Record that ``mart`` was not published; the previous version stays in ``marts``."""
    with db.connect(url, autocommit=True) as conn:
        row_count = (
            db.count_rows(conn, db.CANDIDATE_SCHEMA, mart) if db.table_exists(conn, db.CANDIDATE_SCHEMA, mart) else None
        )
        _log(conn, run_id, mart, False, None, row_count, reason)
    return PublishResult(mart, False, None, row_count, reason)


def published_versions(url: str | None = None) -> dict[str, dict]:
    """For each mart: its last published version and when, and its last publish attempt."""
    with db.connect(url) as conn:
        rows = conn.execute(
            """
            SELECT DISTINCT ON (mart) mart, version, row_count, logged_at, run_id
            FROM audit.publish_log WHERE published ORDER BY mart, id DESC
            """
        ).fetchall()
    return {r[0]: {"version": r[1], "row_count": r[2], "published_at": r[3], "run_id": r[4]} for r in rows}
