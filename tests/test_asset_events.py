"""Assets fire only when data changed: `social_ingest` emits an asset event for a raw table only
when rows landed in it, so `customer360_build` does not rebuild the warehouse for nothing; and a
`dag.test()` run (the demo, `social360 run`) renders the build DAG the scheduler renders, so the
scheduler's first run never finds a task of another shape ("removed")."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from social360.core import config
from tests.demo_data import load_demo

pytestmark = pytest.mark.e2e


def _asset_events(run_id: str) -> dict[str, list[dict]]:
    """Every asset event a DAG run created, by asset name, with its extra."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (session.query(AssetModel.name, AssetEvent.extra)
                .join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
                .filter(AssetEvent.source_run_id == run_id).all())
    events: dict[str, list[dict]] = {}
    for name, extra in rows:
        events.setdefault(name, []).append(extra)
    return events


def _queued_builds() -> int:
    """Asset updates waiting to trigger customer360_build (what the scheduler turns into a run)."""
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session

    with create_session() as session:
        return session.query(AssetDagRunQueue).filter(AssetDagRunQueue.target_dag_id == "customer360_build").count()


def _clear_queued_builds() -> None:
    from airflow.models.asset import AssetDagRunQueue
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(AssetDagRunQueue).filter(AssetDagRunQueue.target_dag_id == "customer360_build").delete()


def test_ingest_emits_an_asset_event_only_for_the_raw_tables_that_received_rows(databases, airflow_ready):
    import psycopg

    from social360.orchestration import airflow_env

    load_demo(seed=4, customers=15, posts=60)
    first = airflow_env.run_dag("social_ingest")
    assert str(first.state) == "success"
    with psycopg.connect(databases.warehouse_url) as conn:
        landed = {t: conn.execute(f"SELECT count(*) FROM raw.{t} WHERE run_id = %s", (first.run_id,)).fetchone()[0]
                  for t in ("x_tweets", "facebook_posts", "facebook_comments", "discourse_posts")}
    events = _asset_events(first.run_id)
    assert set(events) == {f"raw.{t}" for t, n in landed.items() if n}, (events, landed)
    for table, rows in landed.items():
        if rows:
            assert events[f"raw.{table}"] == [{"source": "demo", "rows_landed": rows}]

    assert _queued_builds() > 0, "new rows schedule a build"
    _clear_queued_builds()

    again = airflow_env.run_dag("social_ingest")  # the feed holds nothing new
    assert str(again.state) == "success"
    assert _asset_events(again.run_id) == {}, "nothing landed, so nothing may schedule a build"
    assert _queued_builds() == 0


SCHEDULER_PARSE = f"""
import json
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder={str(config.DAGS_FOLDER)!r}).get_dag("customer360_build")
print(json.dumps(sorted(dag.task_dict)))
"""


def test_a_dag_test_run_stores_the_build_dag_the_scheduler_parses(databases, airflow_ready):
    """`dag.test()` writes every DAG of the folder, as this process parsed it, as the current DAG
    version; the scheduler's first asset-triggered run starts from that version."""
    from airflow.models.serialized_dag import SerializedDagModel
    from airflow.utils.session import create_session

    from social360.orchestration import airflow_env

    load_demo(seed=4, customers=10, posts=30)
    assert str(airflow_env.run_dag("social_ingest").state) == "success"  # as `social360 demo` runs it
    with create_session() as session:
        stored = SerializedDagModel.get("customer360_build", session=session)
        demo_tasks = sorted(stored.dag.task_dict)

    scheduler_env = {**os.environ, **airflow_env.standalone_environ(8080, paused=True)}
    out = subprocess.run([sys.executable, "-c", SCHEDULER_PARSE], capture_output=True, text=True, timeout=180,
                         env=scheduler_env, check=True)
    scheduler_tasks = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(scheduler_tasks) > 20, "the scheduler renders one task per dbt node"
    assert demo_tasks == scheduler_tasks, (
        f"only in the demo: {sorted(set(demo_tasks) - set(scheduler_tasks))[:5]}; "
        f"only in the scheduler: {sorted(set(scheduler_tasks) - set(demo_tasks))[:5]}")
