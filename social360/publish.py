"""Write-audit-publish: swap a validated candidate mart into the published schema.

The swap is one transaction under a lock timeout (retried a bounded number of times):
grant ``bi_reader`` on the candidate, move the published table to ``retired``, move the
candidate into ``marts``. PostgreSQL DDL is transactional, so a reader sees the old version
or the new one, never a missing or half-built table. The previous version is kept in
``retired`` for one cycle (rollback) and older ones are dropped.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import psycopg
from psycopg import errors, sql

from social360 import db

log = logging.getLogger(__name__)

RETIRED_SCHEMA = "retired"


@dataclass
class PublishResult:
    mart: str
    published: bool
    version: int | None
    row_count: int | None
    reason: str
    attempts: int = 1


def _bi_role_exists(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (db.BI_ROLE,)).fetchone() is not None


def _next_version(conn: psycopg.Connection, mart: str) -> int:
    row = conn.execute(
        "SELECT coalesce(max(version), 0) + 1 FROM audit.publish_log WHERE mart = %s AND published", (mart,)
    ).fetchone()
    return row[0]


def _log(conn: psycopg.Connection, run_id: str, mart: str, published: bool, version: int | None,
         row_count: int | None, reason: str) -> None:
    conn.execute(
        "INSERT INTO audit.publish_log (run_id, mart, published, version, row_count, reason) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (run_id, mart, published, version, row_count, reason),
    )


def _swap(conn: psycopg.Connection, mart: str, run_id: str, lock_timeout: str) -> tuple[int, int]:
    ident = sql.Identifier(mart)
    candidate = sql.Identifier(db.CANDIDATE_SCHEMA)
    published = sql.Identifier(db.PUBLISHED_SCHEMA)
    with conn.transaction():
        conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
        if not db.table_exists(conn, db.CANDIDATE_SCHEMA, mart):
            raise LookupError(f"no candidate table {db.CANDIDATE_SCHEMA}.{mart} to publish")
        version = _next_version(conn, mart)
        row_count = db.count_rows(conn, db.CANDIDATE_SCHEMA, mart)
        if _bi_role_exists(conn):
            conn.execute(sql.SQL("GRANT SELECT ON {}.{} TO {}").format(candidate, ident, sql.Identifier(db.BI_ROLE)))
        conn.execute(
            sql.SQL("COMMENT ON TABLE {}.{} IS {}").format(
                candidate, ident, sql.Literal(f"Published version {version} (run {run_id}). Validated before publish.")
            )
        )
        if db.table_exists(conn, db.PUBLISHED_SCHEMA, mart):
            retired_name = f"{mart}__v{version - 1}"
            conn.execute(
                sql.SQL("DROP TABLE IF EXISTS {}.{}").format(sql.Identifier(RETIRED_SCHEMA), sql.Identifier(retired_name))
            )
            conn.execute(sql.SQL("ALTER TABLE {}.{} RENAME TO {}").format(published, ident, sql.Identifier(retired_name)))
            conn.execute(
                sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                    published, sql.Identifier(retired_name), sql.Identifier(RETIRED_SCHEMA)
                )
            )
        conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(candidate, ident, published))
        _log(conn, run_id, mart, True, version, row_count, "gate passed")
    return version, row_count


def _drop_old_versions(conn: psycopg.Connection, mart: str, keep_version: int, lock_timeout: str) -> None:
    """Drop retired versions older than the one just replaced; never blocks a reader for long."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name LIKE %s",
        (RETIRED_SCHEMA, f"{mart}__v%"),
    ).fetchall()
    for (name,) in rows:
        suffix = name.rsplit("__v", 1)[-1]
        if suffix.isdigit() and int(suffix) < keep_version:
            try:
                with conn.transaction():
                    conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
                    conn.execute(sql.SQL("DROP TABLE {}.{}").format(sql.Identifier(RETIRED_SCHEMA), sql.Identifier(name)))
            except errors.LockNotAvailable:
                log.info("retired table %s is in use; it will be dropped by a later publish", name)


def publish(mart: str, *, run_id: str, url: str | None = None, lock_timeout: str = "5s",
            max_attempts: int = 5) -> PublishResult:
    """Swap ``marts_candidate.<mart>`` into ``marts``; retry on lock timeouts with backoff."""
    with db.connect(url, autocommit=True) as conn:
        for attempt in range(1, max_attempts + 1):
            try:
                version, row_count = _swap(conn, mart, run_id, lock_timeout)
                break
            except errors.LockNotAvailable:
                if attempt == max_attempts:
                    raise
                delay = min(0.5 * 2 ** (attempt - 1), 8.0)
                log.warning("publish of %s waited too long for a lock (attempt %s); retrying in %.1fs", mart, attempt, delay)
                time.sleep(delay)
        _drop_old_versions(conn, mart, version - 1, lock_timeout)
    log.info("published %s version %s (%s rows)", mart, version, row_count)
    return PublishResult(mart, True, version, row_count, "gate passed", attempt)


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
            FROM audit.publish_log WHERE published ORDER BY mart, logged_at DESC
            """
        ).fetchall()
    return {r[0]: {"version": r[1], "row_count": r[2], "published_at": r[3], "run_id": r[4]} for r in rows}
