"""Idempotent raw landing: COPY a page of source objects into ``raw.<table>``.

Every object lands as received (JSON) with a hash of its content, so landing the same
page twice adds nothing (unique ``(native_id, payload_hash)``), an edit lands as a new
version, and the cursor that covers the page is written in the same transaction. A dump lands
with ``land_as_latest``: the import is the source of truth for its ids, so whatever it holds
becomes their newest version, even a version landed before.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from social360.core.catalog import raw_tables

NUL = "\x00"
NUL_REPLACEMENT = "\ufffd"
_landed_by_table: ContextVar[Counter[str] | None] = ContextVar("landed_by_table", default=None)


@contextmanager
def counting_landed() -> Iterator[Counter[str]]:
    """Count the new rows ``land`` writes to each raw table while the block runs. A page rolled
    back after landing still counts: the count may be too high, never too low."""
    counts: Counter[str] = Counter()
    token = _landed_by_table.set(counts)
    try:
        yield counts
    finally:
        _landed_by_table.reset(token)


@dataclass
class RawRecord:
    """One version of one source object, ready to land."""

    native_id: str
    payload: dict[str, Any]
    source_updated_at: datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)
    is_deleted: bool = False

    def __post_init__(self) -> None:
        if self.native_id is None or str(self.native_id).strip() == "":
            raise ValueError(f"a raw record needs a native id, got {self.native_id!r}")
        self.native_id = str(self.native_id)


def _strip_nul(value: Any, found: list[bool]) -> Any:
    """PostgreSQL text and jsonb cannot hold U+0000: replace it, and remember that we did."""
    if isinstance(value, str):
        if NUL in value:
            found[0] = True
            return value.replace(NUL, NUL_REPLACEMENT)
        return value
    if isinstance(value, dict):
        return {_strip_nul(k, found): _strip_nul(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_nul(v, found) for v in value]
    return value


def normalize(record: RawRecord) -> RawRecord:
    """Make a record storable, recording in its context every change made to the payload."""
    found = [False]
    payload = _strip_nul(record.payload, found)
    context = _strip_nul(record.context, [False])
    native_id = _strip_nul(record.native_id, [False])
    if found[0]:
        context = {**context, "normalizations": sorted({*context.get("normalizations", []), "nul_replaced_by_fffd"})}
    return RawRecord(native_id, payload, record.source_updated_at, context, record.is_deleted)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def payload_hash(payload: dict[str, Any], is_deleted: bool = False) -> str:
    """Content hash of one version: same content, same hash, whatever the key order."""
    return _hash_text(canonical_json(payload), is_deleted)


def _hash_text(payload_json: str, is_deleted: bool) -> str:
    digest = hashlib.sha256(payload_json.encode("utf-8"))
    if is_deleted:
        digest.update(b"\x00deleted")
    return digest.hexdigest()


JSON_NUL = "\\u0000"  # how json.dumps writes U+0000 inside a string


def _copy_row(record: RawRecord) -> tuple:
    """The row COPY writes for one record: JSON serialized once and hashed from that text.

    The common case costs one serialization of payload and context; only a record whose JSON
    shows a NUL is normalized (and serialized again)."""
    payload_json = canonical_json(record.payload)
    context_json = canonical_json(record.context) if record.context else "{}"
    if JSON_NUL in payload_json or JSON_NUL in context_json or NUL in record.native_id:
        record = normalize(record)
        payload_json = canonical_json(record.payload)
        context_json = canonical_json(record.context)
    return (
        record.native_id,
        payload_json,
        _hash_text(payload_json, record.is_deleted),
        context_json,
        record.source_updated_at,
        record.is_deleted,
    )


def land(conn: psycopg.Connection, table: str, records: Iterable[RawRecord], run_id: str) -> int:
    """COPY ``records`` into ``raw.<table>``; return how many were new. Runs in the caller's transaction."""
    if table not in raw_tables():
        raise ValueError(f"unknown raw table {table!r}; expected one of {', '.join(raw_tables())}")
    staged = f"_landing_{table}"
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {} (native_id text, payload text, payload_hash text, "
            "context text, source_updated_at timestamptz, is_deleted boolean) ON COMMIT DELETE ROWS"
        ).format(sql.Identifier(staged))
    )
    rows = 0
    copy_sql = sql.SQL(
        "COPY {} (native_id, payload, payload_hash, context, source_updated_at, is_deleted) FROM STDIN"
    ).format(sql.Identifier(staged))
    with conn.cursor() as cur:
        with cur.copy(copy_sql) as copy:
            for record in records:
                copy.write_row(_copy_row(record))
                rows += 1
        if rows == 0:
            return 0
        cur.execute(
            sql.SQL(
                """
                INSERT INTO raw.{table} (native_id, payload, payload_hash, context, source_updated_at, run_id, is_deleted)
                SELECT native_id, payload::jsonb, payload_hash, context::jsonb, source_updated_at, %s, is_deleted
                FROM {staged}
                ORDER BY source_updated_at NULLS FIRST
                ON CONFLICT (native_id, payload_hash) DO NOTHING
                """
            ).format(table=sql.Identifier(table), staged=sql.Identifier(staged)),
            (run_id,),
        )
        landed = cur.rowcount
        cur.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(staged)))
    if landed and (counts := _landed_by_table.get()) is not None:
        counts[table] += landed
    return landed


def land_as_latest(conn: psycopg.Connection, table: str, records: Iterable[RawRecord], run_id: str) -> tuple[int, int]:
    """Land ``records`` as the newest versions of their ids, in the order given (of two records of
    one id the later wins): how a dump, the source of truth for its ids, lands. A version landed
    before that is no longer its id's newest becomes the newest again (its ``loaded_seq`` and
    ``extracted_at`` renewed: the row count is unchanged). Returns (new versions, renewed ones).
    Runs in the caller's transaction."""
    if table not in raw_tables():
        raise ValueError(f"unknown raw table {table!r}; expected one of {', '.join(raw_tables())}")
    staged = sql.Identifier(f"_landing_ordered_{table}")
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE IF NOT EXISTS {} (ordinal bigint GENERATED ALWAYS AS IDENTITY, native_id text, "
            "payload text, payload_hash text, context text, source_updated_at timestamptz, is_deleted boolean) "
            "ON COMMIT DELETE ROWS"
        ).format(staged)
    )
    copy_sql = sql.SQL(
        "COPY {} (native_id, payload, payload_hash, context, source_updated_at, is_deleted) FROM STDIN"
    ).format(staged)
    insert = """
        INSERT INTO raw.{table} (native_id, payload, payload_hash, context, source_updated_at, run_id, is_deleted)
        SELECT native_id, payload::jsonb, payload_hash, context::jsonb, source_updated_at, %(run_id)s, is_deleted
        FROM (SELECT *, ordinal = max(ordinal) OVER (PARTITION BY native_id) AS is_last FROM {staged}) AS s
        WHERE is_last = {last}
        ORDER BY ordinal
    """
    with conn.cursor() as cur:
        with cur.copy(copy_sql) as copy:
            for record in records:
                copy.write_row(_copy_row(record))
        # the earlier records of an id: new versions land (history), none of them wins
        cur.execute(sql.SQL(insert + " ON CONFLICT (native_id, payload_hash) DO NOTHING").format(
            table=sql.Identifier(table), staged=staged, last=sql.SQL("false")), {"run_id": run_id})
        landed = cur.rowcount
        # the last record of each id: a new version, or an old one made the newest again
        cur.execute(sql.SQL(
            insert + """
            ON CONFLICT (native_id, payload_hash) DO UPDATE
            SET loaded_seq = DEFAULT, extracted_at = now(), run_id = EXCLUDED.run_id
            WHERE raw.{table}.loaded_seq < (
                SELECT max(v.loaded_seq) FROM raw.{table} AS v WHERE v.native_id = EXCLUDED.native_id
            )
            RETURNING xmax = 0
            """).format(table=sql.Identifier(table), staged=staged, last=sql.SQL("true")), {"run_id": run_id})
        outcomes = [row[0] for row in cur.fetchall()]
        cur.execute(sql.SQL("TRUNCATE {}").format(staged))
    return landed + sum(outcomes), outcomes.count(False)


def load_cursor(conn: psycopg.Connection, source: str, stream: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT cursor FROM raw.extract_state WHERE source = %s AND stream = %s", (source, stream)
    ).fetchone()
    return row[0] if row else None


def save_cursor(conn: psycopg.Connection, source: str, stream: str, cursor: dict[str, Any], run_id: str) -> None:
    conn.execute(
        """
        INSERT INTO raw.extract_state (source, stream, cursor, run_id, updated_at)
        VALUES (%s, %s, %s::jsonb, %s, now())
        ON CONFLICT (source, stream) DO UPDATE
        SET cursor = EXCLUDED.cursor, run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at
        """,
        (source, stream, canonical_json(cursor), run_id),
    )


def land_page(
    conn: psycopg.Connection,
    *,
    table: str,
    records: Iterable[RawRecord],
    run_id: str,
    source: str,
    stream: str,
    cursor: dict[str, Any] | None,
) -> int:
    """Land one page and advance the stream's cursor atomically: both or neither."""
    with conn.transaction():
        landed = land(conn, table, records, run_id)
        if cursor is not None:
            save_cursor(conn, source, stream, cursor, run_id)
    return landed
