"""Build the customer 360 when new raw data lands.

0. `take_build_lock`: one build at a time per warehouse (`social360.core.build_lock`): while another build
   runs, wait for it (up to `SOCIAL360_BUILD_LOCK_WAIT_SECONDS`, 600), then skip this whole run
   (nothing built, validated, recorded or alerted); `release_build_lock` (a teardown) gives it back.
1. `enrich`: score the sentiment and intent of every new or edited post.
2. `dbt`: every dbt model, seed and snapshot is a task (astronomer-cosmos, rendered from the parsed
   project) that builds it and runs its tests, with its own retries and logs; tests reading two
   models (relationships) run in a task of their own after both. Models are built into
   `marts_candidate`; a failed test fails its task at once and stops everything downstream of it.
3. `gate_<mart>`: the mart's dbt results and its Great Expectations suite decide; the outcome is
   recorded in `audit.gate_results` (and `audit.publish_log` when blocked) and alerts are sent.
4. `publish_<mart>`: swap the validated candidate into `marts` atomically; emits `marts.<mart>`.
5. `summarize`, `report`: what is published now, and the HTML report drawn from it.
6. `check_gates`: fail the run, naming every blocked mart and its failed checks.

Marts pass or fail independently; a blocked mart keeps its last good version.

Scheduled on the raw assets (any of them updated), so it has no data interval: `catchup` does not
apply; rerun it (or trigger with `as_of`) to rebuild. Params: `as_of` (measure "now" at a fixed
time, reproducible rebuilds) and `full_refresh` (rebuild incremental models and seeds from scratch).
"""

from __future__ import annotations

from dataclasses import asdict

from airflow.sdk import AssetAny, Param, dag, task, teardown

from social360.orchestration.dag_support import (
    DEFAULT_ARGS,
    GATE_TIMEOUT,
    PUBLISH_TIMEOUT,
    RAW_CRM_ASSETS,
    RAW_SOCIAL_ASSETS,
    START_DATE,
    mart_assets,
    on_gate_blocked,
)
from social360.orchestration.dbt_airflow import dbt_task_group


@dag(
    dag_id="customer360_build",
    schedule=AssetAny(*RAW_SOCIAL_ASSETS, *RAW_CRM_ASSETS),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["social360", "dbt", "quality", "publish"],
    params={
        "as_of": Param(None, type=["null", "string"], format="date-time", title="As of",
                       description="Measure unanswered posts and recency against this ISO timestamp instead of "
                       "now (reproducible rebuilds)."),
        "full_refresh": Param(False, type="boolean", title="Full refresh",
                              description="Rebuild incremental models and reload seeds from scratch (dbt --full-refresh)."),
    },
    doc_md=__doc__,
)
def customer360_build():
    @task.short_circuit(retries=0, ignore_downstream_trigger_rules=True)
    def take_build_lock(dag_run=None) -> bool:
        """Wait for any other build of this warehouse; skip the whole run if it is still running."""
        from social360.orchestration.stages import take_build_lock as take

        return take(dag_run.dag_id, dag_run.run_id)

    @teardown
    def release_build_lock(dag_run=None) -> None:
        """Give the build lease back, whatever became of the build."""
        from social360.core import build_lock

        build_lock.release(build_lock.holder_of(dag_run.dag_id, dag_run.run_id))

    @task
    def enrich(dag_run=None) -> dict:
        """Sentiment and intent for every post that is new or edited since its last score."""
        from social360.orchestration.stages import enrich as score_posts
        from social360.orchestration.stages import keeping_build_lock

        with keeping_build_lock(dag_run):
            return score_posts()

    @task(retries=0, trigger_rule="all_done", execution_timeout=GATE_TIMEOUT, on_failure_callback=on_gate_blocked)
    def gate(mart: str, dbt_tasks: dict, run_id: str | None = None, params: dict | None = None, ti=None,
             dag_run=None) -> dict:
        """dbt results + Great Expectations suite of one candidate mart; failing blocks its publish."""
        from airflow.sdk.exceptions import AirflowFailException

        from social360.orchestration.dbt_airflow import RESULTS_XCOM_KEY, MartDbtTasks, mart_outcome
        from social360.orchestration.stages import GateFailed, keeping_build_lock
        from social360.orchestration.stages import gate as run_gate

        def pull(task_id: str):
            return ti.xcom_pull(task_ids=task_id, key=RESULTS_XCOM_KEY)

        outcome = mart_outcome(mart, MartDbtTasks(**dbt_tasks), pull)
        with keeping_build_lock(dag_run):
            try:
                return run_gate(mart, {"models": {mart: outcome}}, run_id=run_id, as_of=(params or {}).get("as_of"))
            except GateFailed as exc:
                raise AirflowFailException(f"gate blocked publishing: {exc}") from exc

    @task(execution_timeout=PUBLISH_TIMEOUT)
    def publish(mart: str, run_id: str | None = None, dag_run=None) -> dict:
        """Swap the validated candidate into `marts` atomically."""
        from social360.orchestration.stages import keeping_build_lock, publish_mart

        with keeping_build_lock(dag_run):
            return publish_mart(mart, run_id=run_id)

    @task(trigger_rule="all_done")
    def summarize() -> dict:
        """What is published now, per mart."""
        from social360.reporting.summary import published_status

        return published_status()

    @task(trigger_rule="all_done")
    def report(dag_run=None) -> str:
        """The HTML report from the published marts, under $SOCIAL360_HOME/reports/."""
        from social360.orchestration.stages import keeping_build_lock
        from social360.reporting.html_report import build_report

        with keeping_build_lock(dag_run):
            return str(build_report())

    @task(trigger_rule="all_done", retries=0)
    def check_gates(run_id: str | None = None) -> None:
        """Fail the run, naming each blocked mart and its failed checks, if any gate blocked a mart."""
        from airflow.sdk.exceptions import AirflowFailException

        from social360.orchestration.stages import blocked_marts

        blocked = blocked_marts(run_id)
        if blocked:
            raise AirflowFailException("marts not published: " + " | ".join(blocked.values()))

    lock = take_build_lock()
    dbt, mart_tasks = dbt_task_group()
    lock >> enrich() >> dbt
    published = []
    for mart, asset in mart_assets().items():
        tasks = mart_tasks[mart]
        checked = gate.override(task_id=f"gate_{mart}")(mart, asdict(tasks))
        # The gate waits for the dbt tasks whose results it reads (all of dbt for a mart without a model).
        ([dbt.dag.get_task(task_id) for task_id in tasks.all] or [dbt]) >> checked
        done = publish.override(task_id=f"publish_{mart}", outlets=[asset])(mart)
        checked >> done
        published.append(done)
    checked_gates = check_gates()
    published >> summarize() >> report() >> checked_gates
    checked_gates >> release_build_lock().as_teardown(setups=lock)


customer360_build()
