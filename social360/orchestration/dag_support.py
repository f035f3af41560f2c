"""What the DAG files share: assets, pools, default task arguments and alert callbacks.

Import-light on purpose: DAG files import this at parse time, so nothing here may import
pandas, dbt, GX, NLTK or psycopg (callbacks import what they need when they fire).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pendulum
from airflow.sdk import Asset, AssetAlias

from extractors import registry
from social360.core.alerts import on_task_failure, send
from social360.core.catalog import CRM_RAW_TABLES, SOCIAL_RAW_TABLES, published_marts
from social360.orchestration.dbt_airflow import DBT_NODE_TIMEOUT, WAREHOUSE_CONN_ID, manifest_path  # noqa: F401

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")


# --- assets -----------------------------------------------------------------------------------


def raw_asset(table: str) -> Asset:
    return Asset(name=f"raw.{table}", uri=f"social360://warehouse/raw/{table}", group="raw")


def mart_asset(mart: str) -> Asset:
    return Asset(name=f"marts.{mart}", uri=f"social360://warehouse/marts/{mart}", group="marts")


def landed_alias(producer: str) -> AssetAlias:
    """The outlet of a task that lands raw rows: through it the task emits an event for each raw
    table that received rows, and none when nothing landed (a declared asset would always get one)."""
    return AssetAlias(name=f"raw_landed.{producer}", group="raw")


def emit_landed(outlet_events: Any, alias: AssetAlias, rows_by_table: dict[str, int], source: str) -> list[str]:
    """Emit, through ``alias``, one asset event per raw table that received rows; return those tables."""
    changed = sorted(table for table, rows in rows_by_table.items() if rows)
    for table in changed:
        outlet_events[alias].add(raw_asset(table), extra={"source": source, "rows_landed": rows_by_table[table]})
    return changed


RAW_SOCIAL_ASSETS = [raw_asset(t) for t in SOCIAL_RAW_TABLES]
RAW_CRM_ASSETS = [raw_asset(t) for t in CRM_RAW_TABLES]


def mart_assets() -> dict[str, Asset]:
    """The asset of each published mart (``meta.publish`` in the manifest the dbt tasks are rendered
    from), read when a DAG is parsed."""
    return {mart: mart_asset(mart) for mart in published_marts(manifest_path())}


# --- pools: one per external system, so parallel tasks share its rate limit --------------------


PoolSpec = registry.Pool

# one pool per API a declared source calls, and the CRM database's readers
POOLS = {**registry.pools(), "crm_db": PoolSpec("crm_db", 3, "CRM source database: at most this many concurrent readers.")}


@dataclass(frozen=True)
class SourceFamily:
    """Social sources that call the same API: one mapped extract task each, in that API's pool."""

    name: str
    pool: str | None
    raw_tables: tuple[str, ...]

    @property
    def assets(self) -> list[Asset]:
        return [raw_asset(t) for t in self.raw_tables]

    @property
    def alias(self) -> AssetAlias:
        return landed_alias(self.name)


# every source that is extracted (not imported): its configured names ("x", "x:second_brand") map to it
SOURCE_FAMILIES = tuple(
    SourceFamily(source.name, source.pool.name if source.pool else None, source.raw_tables)
    for source in registry.sources().values() if source.kind != "dump"
)
OTHER_FAMILY = SourceFamily("other", None, SOCIAL_RAW_TABLES)


def family_of(source: str) -> str:
    """The family of a configured source name (``x``, ``x:second_brand``, ``facebook``, ``demo``...)."""
    prefix = source.split(":", 1)[0].strip().lower()
    return prefix if any(f.name == prefix for f in SOURCE_FAMILIES) else OTHER_FAMILY.name


def group_sources(sources: list[str]) -> dict[str, list[str]]:
    """Configured sources by family, every family present (empty list: its mapped task is skipped)."""
    grouped: dict[str, list[str]] = {f.name: [] for f in (*SOURCE_FAMILIES, OTHER_FAMILY)}
    for source in sources:
        grouped[family_of(source)].append(source)
    return grouped


# --- the CRM's window per run ------------------------------------------------------------------

CRM_LOOKBACK_ENV = "CRM_LOOKBACK_MINUTES"


def default_crm_lookback() -> int:
    """The lookback the CRM extractor uses when nobody overrides it (``CRM_LOOKBACK_MINUTES``, 60)."""
    value = os.environ.get(CRM_LOOKBACK_ENV)
    return int(float(value)) if value else 60


@contextmanager
def crm_lookback(table: str, minutes: int | None, interval_start: datetime | None) -> Iterator[float]:
    """While syncing one CRM table, make the extractor read from the earlier of its cursor and the
    run's interval start, minus ``minutes`` (the extractor reads from cursor - ``CRM_LOOKBACK_MINUTES``).

    A rerun or backfill of a past interval therefore re-reads that window; landing by content
    hash keeps it idempotent and the cursor never moves back.
    """
    lookback = float(default_crm_lookback() if minutes is None else minutes)
    if interval_start is not None:
        from extractors.landing import load_cursor
        from social360.core import db

        with db.connect() as conn:
            cursor = load_cursor(conn, "crm", table) or {}
        if cursor.get("updated_at"):
            high_water = datetime.fromisoformat(cursor["updated_at"])
            lookback += max(0.0, (high_water - interval_start).total_seconds() / 60)
    previous = os.environ.get(CRM_LOOKBACK_ENV)
    os.environ[CRM_LOOKBACK_ENV] = str(lookback)
    try:
        yield lookback
    finally:
        if previous is None:
            os.environ.pop(CRM_LOOKBACK_ENV, None)
        else:
            os.environ[CRM_LOOKBACK_ENV] = previous


# --- default task arguments -------------------------------------------------------------------

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "social360",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
    "on_failure_callback": on_task_failure,
}
EXTRACT_TIMEOUT = timedelta(minutes=45)
GATE_TIMEOUT = timedelta(minutes=15)
PUBLISH_TIMEOUT = timedelta(minutes=5)


# --- callbacks --------------------------------------------------------------------------------


def on_gate_blocked(context: dict[str, Any]) -> None:
    """``on_failure_callback`` of the gate tasks: a mart was not published, and why."""
    ti = context.get("task_instance") or context.get("ti")
    mart = getattr(ti, "task_id", "?").removeprefix("gate_")
    send(
        f"social360: mart {mart} was NOT published (last good version stays): {context.get('exception')}",
        details={"dag_id": getattr(ti, "dag_id", None), "run_id": context.get("run_id"), "mart": mart},
    )

