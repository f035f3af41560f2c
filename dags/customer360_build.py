"""Build the customer 360 when new raw data lands: score new posts, build the dbt models into
``marts_candidate``, validate each mart with its Great Expectations suite and dbt tests, and
publish each mart that passes into ``marts`` (a mart that fails keeps its last good version).
"""

from __future__ import annotations

from airflow.sdk import AssetAny, Param, dag, task

from social360.orchestration import DEFAULT_ARGS, MART_ASSETS, RAW_CRM_ASSETS, RAW_SOCIAL_ASSETS, START_DATE


@dag(
    dag_id="customer360_build",
    schedule=AssetAny(*RAW_SOCIAL_ASSETS, *RAW_CRM_ASSETS),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["social360", "dbt", "quality", "publish"],
    params={
        "as_of": Param(None, type=["null", "string"], description="Measure unanswered posts against this "
                       "ISO timestamp instead of now (reproducible rebuilds)."),
    },
    doc_md=__doc__,
)
def customer360_build():
    @task
    def enrich() -> dict:
        """Sentiment and intent for every post that is new or edited since its last score."""
        from social360.pipeline import enrich as score_posts

        return score_posts()

    @task
    def dbt_build(params: dict | None = None) -> dict:
        """dbt build of staging, intermediate and candidate marts, with their tests."""
        from social360.pipeline import build_models

        return build_models(as_of=(params or {}).get("as_of"))

    @task(retries=0)
    def gate(mart: str, dbt_summary: dict, run_id: str | None = None) -> dict:
        """Great Expectations suite + dbt tests of one candidate mart; failing blocks its publish."""
        from airflow.sdk.exceptions import AirflowFailException

        from social360.pipeline import GateFailed, gate as run_gate

        try:
            return run_gate(mart, dbt_summary, run_id=run_id)
        except GateFailed as exc:
            raise AirflowFailException(f"gate blocked publishing: {exc}") from exc

    @task
    def publish(mart: str, run_id: str | None = None) -> dict:
        """Swap the validated candidate into `marts` atomically."""
        from social360.pipeline import publish_mart

        return publish_mart(mart, run_id=run_id)

    @task(trigger_rule="all_done")
    def summarize() -> dict:
        """What is published now, per mart."""
        from social360.summary import published_status

        return published_status()

    summary = dbt_build()
    enrich() >> summary
    published = []
    for mart in MART_ASSETS:
        checked = gate.override(task_id=f"gate_{mart}")(mart, summary)
        done = publish.override(task_id=f"publish_{mart}", outlets=[MART_ASSETS[mart]])(mart)
        checked >> done
        published.append(done)
    @task(trigger_rule="all_done", retries=0)
    def check_gates(run_id: str | None = None) -> None:
        """Fail the run, naming each blocked mart and its failed checks, if any gate blocked a mart."""
        from airflow.sdk.exceptions import AirflowFailException

        from social360.pipeline import blocked_marts

        blocked = blocked_marts(run_id)
        if blocked:
            raise AirflowFailException("marts not published: " + " | ".join(blocked.values()))

    published >> summarize() >> check_gates()


customer360_build()
