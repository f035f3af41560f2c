"""Sync the CRM's customers, orders and support tickets into the raw layer, incrementally by
``updated_at`` with a lookback window, every hour.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from social360.orchestration import DEFAULT_ARGS, RAW_CRM_ASSETS, START_DATE

CRM_TABLES = ["customers", "orders", "support_tickets"]


@dag(
    dag_id="crm_sync",
    schedule="@hourly",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["social360", "ingest", "crm"],
    doc_md=__doc__,
)
def crm_sync():
    @task(outlets=RAW_CRM_ASSETS)
    def sync(table: str, run_id: str | None = None) -> dict:
        """Land the rows of one CRM table changed since its cursor (minus the lookback)."""
        from social360.pipeline import sync_crm_table

        return sync_crm_table(table, run_id=run_id)

    sync.expand(table=CRM_TABLES)


crm_sync()
