"""Sync the CRM's customers, orders and support tickets into the raw layer every hour,
incrementally by `updated_at` from each table's saved cursor minus a lookback window.

One task per table in the `crm_db` pool (bounded concurrent readers on the CRM), each emitting
its raw asset (`raw.crm_<table>`, through the alias `raw_landed.crm_<table>`) when rows landed,
and no event when nothing changed.

Backfill semantics: each run re-reads its data interval. A run reads from the earlier of the
table's cursor and the run's `data_interval_start`, minus `lookback_minutes`; landing is keyed by
row content and the cursor only moves forward, so re-running or backfilling a past interval
re-extracts that window idempotently (unchanged rows add nothing, changed rows land as new
versions). `catchup=False` because the cursor already covers every interval missed during an
outage in one run; use `airflow backfill create --dag-id crm_sync` (or clear a past run) to
re-read a specific window.
"""

from __future__ import annotations

from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from social360.core.catalog import CRM_RAW_TABLES
from social360.orchestration.dag_support import (
    DEFAULT_ARGS,
    EXTRACT_TIMEOUT,
    START_DATE,
    default_crm_lookback,
    landed_alias,
)


@dag(
    dag_id="crm_sync",
    # Runs cover contiguous hourly intervals [start, end) (not cron points), so each has a window.
    schedule=CronDataIntervalTimetable("@hourly", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["social360", "ingest", "crm"],
    params={
        "lookback_minutes": Param(default_crm_lookback(), type="integer", minimum=0, title="Lookback (minutes)",
                                  description="Also re-read rows updated this long before the cursor or interval "
                                  "start (catches rows committed late with an older updated_at)."),
    },
    doc_md=__doc__,
)
def crm_sync():
    @task(pool="crm_db", execution_timeout=EXTRACT_TIMEOUT)
    def sync(table: str, run_id: str | None = None, params: dict | None = None, data_interval_start=None,
             outlet_events=None, task=None) -> dict:
        """Land the rows of one CRM table changed in this run's window (cursor or interval start, minus
        lookback); emit its raw asset when rows landed."""
        from social360.orchestration.dag_support import crm_lookback, emit_landed
        from social360.orchestration.stages import sync_crm_table

        with crm_lookback(table, (params or {}).get("lookback_minutes"), data_interval_start):
            result = sync_crm_table(table, run_id=run_id)
        (alias,) = task.outlets
        emit_landed(outlet_events, alias, {f"crm_{table}": result["rows_landed"]}, "crm")
        return result

    for raw_table in CRM_RAW_TABLES:
        table = raw_table.removeprefix("crm_")
        sync.override(task_id=f"sync_{table}", outlets=[landed_alias(raw_table)])(table)


crm_sync()
