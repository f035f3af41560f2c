"""Extract social interactions (mentions, comments, replies, the brand's own replies) from every
configured source into the warehouse's raw layer, incrementally, every 15 minutes.

One mapped task per configured source; each lands its pages and cursor atomically, so a rerun
of any interval adds nothing that is already there.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from social360.orchestration import DEFAULT_ARGS, RAW_SOCIAL_ASSETS, START_DATE


@dag(
    dag_id="social_ingest",
    schedule="*/15 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["social360", "ingest"],
    doc_md=__doc__,
)
def social_ingest():
    @task
    def list_sources() -> list[str]:
        """The social sources configured for this deployment."""
        from social360.pipeline import configured_social_sources

        return configured_social_sources()

    @task(outlets=RAW_SOCIAL_ASSETS, max_active_tis_per_dag=4)
    def extract(source: str, run_id: str | None = None) -> dict:
        """Land everything new in one source since its cursor."""
        from social360.pipeline import extract_social_source

        return extract_social_source(source, run_id=run_id)

    extract.expand(source=list_sources())


social_ingest()
