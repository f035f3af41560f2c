"""Incremental sync of the CRM's customers, orders and support tickets from its PostgreSQL.

Rows are read by ``updated_at`` from the saved cursor minus a lookback window (a row
committed late with an older ``updated_at`` is still caught), in keyset pages ordered by
``(updated_at, primary key)``. Each version lands once (raw is keyed by content hash), the
latest version per primary key wins in staging, and the cursor moves with each page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from extractors.base import StreamResult, record_run
from extractors.landing import RawRecord, land, load_cursor, save_cursor
from social360.core import config, db

SOURCE = "crm"


@dataclass(frozen=True)
class CrmTable:
    name: str
    primary_key: str
    raw_table: str


TABLES = (
    CrmTable("customers", "customer_id", "crm_customers"),
    CrmTable("orders", "order_id", "crm_orders"),
    CrmTable("support_tickets", "ticket_id", "crm_support_tickets"),
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def lookback() -> timedelta:
    return timedelta(minutes=config.env_float("CRM_LOOKBACK_MINUTES", 60))


def sync_table(table: CrmTable, run_id: str, *, page_size: int = 5000, warehouse_url: str | None = None,
               source_url: str | None = None) -> StreamResult:
    """Sync one CRM table into ``raw.<raw_table>`` from its cursor."""
    result = StreamResult(SOURCE, table.name)
    source_url = source_url or db.source_url(config.CRM_DB)
    query = sql.SQL(
        "SELECT {pk}::text, updated_at, to_jsonb(t) FROM {table} AS t "
        "WHERE (updated_at, {pk}) > (%s, %s) ORDER BY updated_at, {pk} LIMIT %s"
    ).format(pk=sql.Identifier(table.primary_key), table=sql.Identifier(table.name))
    with psycopg.connect(source_url) as src, db.connect(warehouse_url) as wh:
        if src.execute("SELECT to_regclass(%s) IS NULL", (table.name,)).fetchone()[0]:
            _table_absent(table, result)
            record_run(wh, result, run_id)
            wh.commit()
            return result
        cursor = load_cursor(wh, SOURCE, table.name) or {}
        high_water = datetime.fromisoformat(cursor["updated_at"]) if cursor.get("updated_at") else EPOCH
        position: tuple[datetime, int] = (max(high_water - lookback(), EPOCH), -(2**62))
        while True:
            rows = src.execute(query, (*position, page_size)).fetchall()
            src.rollback()
            if not rows:
                break
            records = [RawRecord(pk, payload, source_updated_at=updated_at) for pk, updated_at, payload in rows]
            high_water = max(high_water, rows[-1][1])
            last_pk = rows[-1][2][table.primary_key]
            position = (rows[-1][1], last_pk)
            with wh.transaction():
                landed = land(wh, table.raw_table, records, run_id)
                save_cursor(wh, SOURCE, table.name, {"updated_at": high_water.isoformat()}, run_id)
            result.add_page(len(rows), landed)
        record_run(wh, result, run_id)
        wh.commit()
    return result


def _table_absent(table: CrmTable, result: StreamResult) -> None:
    """No such table: an error when a CRM was configured (CRM_URL); with the embedded default
    database it means no CRM is set up yet (e.g. only dumps were imported), so nothing to sync."""
    import os

    from extractors.base import ExtractorError

    if os.environ.get("CRM_URL"):
        raise ExtractorError(f"the CRM database at CRM_URL has no table {table.name!r}")
    result.status = "absent"
    result.message = f"no CRM table {table.name!r} in the default database {config.CRM_DB!r}: set CRM_URL to sync a CRM"


def is_configured(conn: psycopg.Connection) -> bool:
    """Whether this deployment has a CRM: ``CRM_URL`` is set, CRM rows were ever landed, or the last
    sync found the CRM's tables. Without one (a conversation dump imported on its own), an empty
    customer dimension is expected, not a defect."""
    import os

    if os.environ.get("CRM_URL"):
        return True
    if conn.execute("SELECT EXISTS (SELECT FROM raw.crm_customers)").fetchone()[0]:
        return True
    row = conn.execute(
        "SELECT status FROM raw.extract_runs WHERE source = %s ORDER BY finished_at DESC LIMIT 1", (SOURCE,)
    ).fetchone()
    return row is not None and row[0] != "absent"


def sync_all(run_id: str, **kwargs) -> list[StreamResult]:
    return [sync_table(table, run_id, **kwargs) for table in TABLES]
