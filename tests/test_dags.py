"""DAG design: the three DAGs parse without errors, fast, without heavy imports at parse time; every
dbt node is a task (cosmos); each mart's gate reads exactly its dbt tasks; pools, retries,
timeouts, callbacks, params and backfill semantics are what the docs promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import psycopg
import pytest

from social360.core import config
from social360.core.catalog import PUBLISHED_MARTS

DAG_FILES = sorted(p for p in config.DAGS_FOLDER.glob("*.py") if not p.name.startswith("_"))
HEAVY_MODULES = ("great_expectations", "nltk", "pandas", "dbt", "psycopg")
API_POOLS = {"x.extract": "x_api", "facebook.extract": "facebook_graph", "discourse.extract": "discourse"}


@pytest.fixture(scope="module")
def dagbag(airflow_ready):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(config.DAGS_FOLDER))


@pytest.fixture(scope="module")
def manifest(airflow_ready) -> dict:
    from social360.orchestration.dbt_airflow import manifest_path

    return json.loads(manifest_path().read_text())


def test_no_import_errors_and_the_three_dags(dagbag):
    assert dagbag.import_errors == {}
    assert {"social_ingest", "crm_sync", "customer360_build"} <= set(dagbag.dag_ids)
    for dag in dagbag.dags.values():
        assert dag.tags, f"{dag.dag_id} has no tags"
        assert dag.doc_md, f"{dag.dag_id} has no documentation"
        assert dag.catchup is False, f"{dag.dag_id}: catchup must stay off (see its docs)"


def test_every_dbt_model_seed_and_snapshot_is_a_task_that_builds_and_tests_it(dagbag, manifest):
    dag = dagbag.get_dag("customer360_build")
    tasks = set(dag.task_dict)
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed", "snapshot")]
    assert len(nodes) >= 10
    for node in nodes:
        task_id = f"dbt.{node['name']}_{node['resource_type']}_build"
        assert task_id in tasks, f"no task for {node['resource_type']} {node['name']}"
        task = dag.get_task(task_id)
        assert type(task).__name__ == "DbtBuildLocalOperator"
        assert task.retries == 2 and task.retry_exponential_backoff
        parents = {p.split(".")[-1] for p in node["depends_on"].get("nodes", [])
                   if p.split(".")[0] in ("model", "seed", "snapshot")}
        built_parents = {t.split(".", 1)[1].rsplit("_", 2)[0] for t in task.upstream_task_ids if t.endswith("_build")}
        assert parents <= built_parents, f"{node['name']} must wait for {parents - built_parents}"
    multi_parent = [t for t in manifest["nodes"].values()
                    if t["resource_type"] == "test" and len(t["depends_on"]["nodes"]) > 1]
    assert multi_parent, "the project has relationships tests"
    for test in multi_parent:  # relationships run in their own task once both sides are built and tested
        task = dag.get_task(f"dbt.{test['name']}_test")
        assert task.retries == 0
        upstream_nodes = {t.split(".", 1)[1].rsplit("_", 2)[0] for t in task.upstream_task_ids}
        assert upstream_nodes == {p.split(".")[-1] for p in test["depends_on"]["nodes"]}, test["name"]


def test_build_dag_gates_every_mart_on_its_own_dbt_tasks(dagbag):
    dag = dagbag.get_dag("customer360_build")
    for mart in PUBLISHED_MARTS:
        gate = dag.get_task(f"gate_{mart}")
        assert dag.get_task(f"publish_{mart}").upstream_task_ids == {f"gate_{mart}"}
        assert f"dbt.{mart}_model_build" in gate.upstream_task_ids
        assert all(t.startswith("dbt.") for t in gate.upstream_task_ids)
        other_marts = {f"dbt.{m}_model_build" for m in PUBLISHED_MARTS if m != mart}
        assert not gate.upstream_task_ids & other_marts, f"{mart}'s gate must not wait on another mart's tests"
        assert str(gate.trigger_rule) in ("all_done", "TriggerRule.ALL_DONE")
        assert gate.retries == 0
        assert gate.on_failure_callback, "a blocked mart must alert"
        assert [a.name for a in dag.get_task(f"publish_{mart}").outlets] == [f"marts.{mart}"]
    assert dag.get_task("report").upstream_task_ids == {"summarize"}
    assert dag.get_task("check_gates").upstream_task_ids == {"report"}
    roots = {t for t in dag.task_dict if t.startswith("dbt.") and not dag.get_task(t).upstream_task_ids - {"enrich"}}
    assert roots and all(dag.get_task(t).upstream_task_ids == {"enrich"} for t in roots)


def test_build_dag_is_scheduled_on_the_raw_assets(dagbag):
    """The landing tasks emit raw assets through aliases (only for tables that received rows,
    tests/test_asset_events.py); the build consumes every raw table they may land into."""
    from airflow.sdk import AssetAlias

    from social360.orchestration.dag_support import OTHER_FAMILY, SOURCE_FAMILIES

    dag = dagbag.get_dag("customer360_build")
    ingest = dagbag.get_dag("social_ingest")
    extracts = [t for t in ingest.tasks if t.task_id.endswith(".extract")]
    assert {t.task_id for t in extracts} == {f"{f.name}.extract" for f in (*SOURCE_FAMILIES, OTHER_FAMILY)}
    for task in extracts:
        family = next(f for f in (*SOURCE_FAMILIES, OTHER_FAMILY) if task.task_id == f"{f.name}.extract")
        assert task.outlets == [AssetAlias(name=f"raw_landed.{family.name}", group="raw")]
    produced = {f"raw.{t}" for f in (*SOURCE_FAMILIES, OTHER_FAMILY) for t in f.raw_tables}
    assert {"raw.x_tweets", "raw.facebook_posts", "raw.facebook_comments", "raw.discourse_posts"} <= produced
    crm = {a.name.removeprefix("raw_landed.") for t in dagbag.get_dag("crm_sync").tasks for a in t.outlets
           if isinstance(a, AssetAlias)}
    assert crm == {"crm_customers", "crm_orders", "crm_support_tickets"}
    consumed = {a.name for a in dag.timetable.asset_condition.objects}
    assert produced | {f"raw.{t}" for t in crm} == consumed


def test_each_external_api_has_a_pool_that_its_tasks_use(dagbag, airflow_ready):
    from airflow.models.pool import Pool

    from social360.orchestration.dag_support import POOLS

    ingest = dagbag.get_dag("social_ingest")
    for task_id, pool in API_POOLS.items():
        assert ingest.get_task(task_id).pool == pool
    for task in dagbag.get_dag("crm_sync").tasks:
        assert task.pool == "crm_db"
    for name, spec in POOLS.items():
        pool = Pool.get_pool(name)
        assert pool is not None, f"pool {name} was not created"
        assert pool.slots == spec.slots and pool.description == spec.description


def test_retries_backoff_timeouts_and_callbacks_on_every_task(dagbag):
    from social360.core.alerts import on_task_failure

    for dag in dagbag.dags.values():
        for task in dag.tasks:
            where = f"{dag.dag_id}.{task.task_id}"
            assert task.execution_timeout is not None and task.execution_timeout <= timedelta(hours=1), where
            assert task.on_failure_callback, where
            if task.retries:
                assert task.retry_exponential_backoff, where
                assert task.max_retry_delay is not None, where
    extract = dagbag.get_dag("social_ingest").get_task("x.extract")
    assert extract.retries == 2 and extract.retry_delay == timedelta(seconds=30)
    callbacks = dagbag.get_dag("crm_sync").get_task("sync_orders").on_failure_callback
    assert on_task_failure in (callbacks if isinstance(callbacks, list) else [callbacks])


def test_params_an_operator_changes_are_validated(dagbag):
    from airflow.sdk.exceptions import ParamValidationError

    build = dagbag.get_dag("customer360_build").params
    assert build["as_of"] is None and build["full_refresh"] is False
    assert build.get_param("as_of").resolve("2026-11-20T12:00:00+00:00") == "2026-11-20T12:00:00+00:00"
    crm = dagbag.get_dag("crm_sync").params
    assert crm["lookback_minutes"] == 60
    with pytest.raises(ParamValidationError):
        crm.get_param("lookback_minutes").resolve(-5)
    ingest = dagbag.get_dag("social_ingest").params
    assert ingest["sources"] == []
    with pytest.raises(ParamValidationError):
        ingest.get_param("sources").resolve("x")


@pytest.mark.parametrize("dag_file", DAG_FILES, ids=lambda p: p.name)
def test_dag_file_parses_fast_without_heavy_imports(airflow_ready, dag_file: Path):
    """Import each DAG file in a fresh interpreter that has loaded what Airflow's dag-processor has
    loaded before it parses a file (its parsing module, with Airflow's models and cluster policies).
    The budget is the CPU time the import takes: wall time on a shared machine measures the neighbours."""
    probe = f"""
import importlib.util, json, sys, time
import airflow.sdk, airflow.dag_processing.processor  # the dag-processor's parsing process, warm
import social360.orchestration.dag_support  # what every DAG file shares
spec = importlib.util.spec_from_file_location("dag_under_test", {str(dag_file)!r})
module = importlib.util.module_from_spec(spec)
start, wall = time.process_time(), time.perf_counter()
spec.loader.exec_module(module)
elapsed, wall = time.process_time() - start, time.perf_counter() - wall
print(json.dumps({{"seconds": elapsed, "wall": wall, "modules": sorted(sys.modules)}}))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["seconds"] < 1.0, f"{dag_file.name} took {report['seconds']:.2f}s CPU ({report['wall']:.2f}s wall)"
    loaded_heavy = [m for m in report["modules"] if m.split(".")[0] in HEAVY_MODULES]
    assert not loaded_heavy, f"{dag_file.name} imports {loaded_heavy[:5]} at parse time"


PARSE_BUILD_DAG = f"""
import json
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder={str(config.DAGS_FOLDER)!r})
dag = bag.get_dag("customer360_build")
print(json.dumps({{"errors": [e.strip().splitlines()[-1] for e in bag.import_errors.values()],
                  "dbt": dag and sorted(t for t in dag.task_dict if t.startswith("dbt.")),
                  "gate": dag and sorted(dag.get_task("gate_mart_sentiment").upstream_task_ids)}}))
"""


def _parse_build_dag(**env) -> dict:
    out = subprocess.run([sys.executable, "-c", PARSE_BUILD_DAG], capture_output=True, text=True, timeout=120,
                         env={**os.environ, **env}, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_build_dag_imports_without_a_manifest_and_falls_back_to_one_dbt_task(airflow_ready, tmp_path):
    """A fresh checkout before `social360 setup`: no import error, one `dbt.build` task feeds every gate."""
    report = _parse_build_dag(SOCIAL360_HOME=str(tmp_path))
    assert not (tmp_path / "dbt" / "manifest.json").exists()
    assert report == {"errors": [], "dbt": ["dbt.build"], "gate": ["dbt.build"]}


def test_dbt_tasks_mode_selects_one_build_task_and_rejects_unknown_modes(airflow_ready):
    assert _parse_build_dag(SOCIAL360_DBT_TASKS="build") == {"errors": [], "dbt": ["dbt.build"], "gate": ["dbt.build"]}
    per_node = _parse_build_dag(SOCIAL360_DBT_TASKS="per_node")
    assert "dbt.mart_sentiment_model_build" in per_node["dbt"] and len(per_node["dbt"]) > 10
    bad = _parse_build_dag(SOCIAL360_DBT_TASKS="per_model")
    assert bad["dbt"] is None and "SOCIAL360_DBT_TASKS must be 'per_node' or 'build'" in bad["errors"][0]


# --- each mart's dbt outcome, from what the dbt tasks reported ---------------------------------------


def _node(name, status, kind="model", attached=None, failures=None):
    return {"unique_id": f"{kind}.social360.{name}", "name": name, "resource_type": kind, "status": status,
            "message": None, "failures": failures, "attached_to": attached}


def test_mart_outcome_names_the_failed_test_of_that_mart_only():
    from social360.orchestration.dbt_airflow import MartDbtTasks, mart_outcome

    reported = {
        "dbt.fct_interactions_model_build": [_node("fct_interactions", "success"),
                                             _node("unique_fct_interactions_id", "pass", "test", "fct_interactions")],
        "dbt.rel_test": [_node("relationships_fct_interactions_customer_id", "fail", "test", "fct_interactions", 3)],
        "dbt.dim_customers_model_build": [_node("dim_customers", "success"),
                                          _node("unique_dim_customers_id", "pass", "test", "dim_customers")],
    }
    fct = mart_outcome("fct_interactions", MartDbtTasks(
        own=["dbt.fct_interactions_model_build"], detached_tests=["dbt.rel_test"]), reported.get)
    assert fct["built"] is True
    assert [t["test"] for t in fct["failed_tests"]] == ["relationships_fct_interactions_customer_id"]
    assert fct["failed_tests"][0]["failures"] == 3
    dim = mart_outcome("dim_customers", MartDbtTasks(
        own=["dbt.dim_customers_model_build"], detached_tests=["dbt.rel_test"]), reported.get)
    assert dim["built"] is True and dim["failed_tests"] == []


def test_mart_outcome_of_a_mart_skipped_by_an_upstream_test_failure_names_that_test():
    from social360.orchestration.dbt_airflow import MartDbtTasks, mart_outcome

    reported = {
        "dbt.stg_x__tweets_model_build": [
            _node("stg_x__tweets", "success"),
            _node("not_null_stg_x__tweets_post_id", "fail", "test", "stg_x__tweets", 2),
            _node("unique_stg_x__tweets_post_id", "pass", "test", "stg_x__tweets")],
    }
    tasks = MartDbtTasks(own=["dbt.mart_sentiment_model_build"], upstream=["dbt.stg_x__tweets_model_build"])
    outcome = mart_outcome("mart_sentiment", tasks, reported.get)
    assert outcome["built"] is False
    assert "not_null_stg_x__tweets_post_id on stg_x__tweets" in outcome["status"]
    assert [t["test"] for t in outcome["failed_tests"]] == ["not_null_stg_x__tweets_post_id"]


def test_mart_outcome_blocks_when_a_task_of_the_mart_reported_nothing():
    from social360.orchestration.dbt_airflow import MartDbtTasks, mart_outcome

    reported = {"dbt.mart_sentiment.run": [_node("mart_sentiment", "success")]}  # tests in a second task
    outcome = mart_outcome("mart_sentiment", MartDbtTasks(own=["dbt.mart_sentiment.run", "dbt.mart_sentiment.test"],
                                                          detached_tests=["dbt.rel_test"]), reported.get)
    assert outcome["built"] is True
    assert [t["test"] for t in outcome["failed_tests"]] == ["dbt.mart_sentiment.test (reported no results)"]
    assert [t["test"] for t in outcome["warned_tests"]] == ["dbt.rel_test (not run)"]
    nothing = mart_outcome("mart_sentiment", MartDbtTasks(own=["dbt.mart_sentiment_model_build"]), {}.get)
    assert nothing["built"] is False and nothing["status"] == "not run"


def test_dbt_events_reach_the_gates_through_xcom_and_a_failed_test_is_not_retried(airflow_ready):
    from airflow.sdk.exceptions import AirflowFailException
    from dbt.events.types import NodeFinished
    from dbt_common.events.base_types import msg_from_base_event

    from social360.orchestration.dbt_airflow import (
        RESULTS_XCOM_KEY,
        collect_node_result,
        manifest_path,
        push_results,
        start_dbt_task,
    )

    class TaskInstance:  # the one thing the callback needs from Airflow's context
        def __init__(self):
            self.pushed = {}

        def xcom_push(self, key, value):
            self.pushed[key] = value

    def finished(uid, kind, status, failures=0, message=""):
        collect_node_result(msg_from_base_event(NodeFinished(
            node_info={"unique_id": uid, "node_name": uid.split(".")[2], "resource_type": kind},
            run_result={"status": status, "message": message, "num_failures": failures})))

    test_id = next(uid for uid, n in json.loads(manifest_path().read_text())["nodes"].items()
                   if n["resource_type"] == "test" and n.get("attached_node") == "model.social360.mart_sentiment")
    start_dbt_task({})
    finished("model.social360.mart_sentiment", "model", "success")
    finished(test_id, "test", "pass")
    ti = TaskInstance()
    push_results("/nonexistent", context={"ti": ti, "task": None})
    assert [(r["name"], r["status"], r["attached_to"]) for r in ti.pushed[RESULTS_XCOM_KEY]] == [
        ("mart_sentiment", "success", None), (test_id.split(".")[2], "pass", "mart_sentiment")]

    start_dbt_task({})
    finished("model.social360.mart_sentiment", "model", "success")
    finished(test_id, "test", "fail", 4, "Got 4 results, configured to fail if != 0")
    ti = TaskInstance()
    with pytest.raises(AirflowFailException, match=f"{test_id.split('.')[2]} \\(4 rows\\) on mart_sentiment"):
        push_results("/nonexistent", context={"ti": ti, "task": None})
    assert ti.pushed[RESULTS_XCOM_KEY][1]["failures"] == 4


def test_manifest_is_rebuilt_when_the_dbt_project_changes(airflow_ready):
    from social360.orchestration.dbt_airflow import ensure_manifest, manifest_is_stale, manifest_path

    path = ensure_manifest()
    assert not manifest_is_stale(path)
    model = config.DBT_PROJECT_DIR / "models" / "marts" / "mart_sentiment.sql"
    os.utime(path, (model.stat().st_mtime - 10, model.stat().st_mtime - 10))
    assert manifest_is_stale(path)
    assert ensure_manifest() == manifest_path() and not manifest_is_stale(path)


# --- the CRM window of a run ---------------------------------------------------------------------


def test_crm_lookback_reaches_back_to_the_interval_start(databases, airflow_ready):
    from extractors.landing import save_cursor
    from social360.core import db
    from social360.orchestration.dag_support import CRM_LOOKBACK_ENV, crm_lookback

    high_water = datetime(2026, 5, 1, 12, 0).astimezone()
    with db.connect() as conn:
        save_cursor(conn, "crm", "orders", {"updated_at": high_water.isoformat()}, "t")
        conn.commit()
    before = os.environ.get(CRM_LOOKBACK_ENV)
    with crm_lookback("orders", 30, high_water - timedelta(hours=5)) as minutes:
        assert minutes == 30 + 5 * 60
        assert float(os.environ[CRM_LOOKBACK_ENV]) == minutes
    assert os.environ.get(CRM_LOOKBACK_ENV) == before
    with crm_lookback("orders", 30, high_water + timedelta(hours=1)) as minutes:
        assert minutes == 30  # an interval after the cursor: the cursor rules
    with crm_lookback("customers", None, high_water) as minutes:
        assert minutes == 60  # no cursor yet: the default lookback


# --- end to end through dag.test() ---------------------------------------------------------------


@pytest.mark.e2e
def test_backfilling_a_past_interval_re_extracts_that_window_idempotently(databases, airflow_ready):
    """A CRM row committed late with an old updated_at is missed by the incremental run and found by
    a backfill of its interval; backfilling again adds nothing and never moves the cursor back."""
    from social360.orchestration import airflow_env
    from tests.demo_data import load_demo

    run_dag = airflow_env.run_dag

    load_demo(seed=5, customers=20, posts=40)
    first_run = run_dag("crm_sync")
    assert str(first_run.state) == "success"
    assert {a: e["source_dag_id"] for a, e in _asset_events(first_run.run_id).items()} == {
        "raw.crm_customers": "crm_sync", "raw.crm_orders": "crm_sync", "raw.crm_support_tickets": "crm_sync"}

    def raw_counts():
        with psycopg.connect(databases.warehouse_url) as conn:
            counts = {t: conn.execute(f"SELECT count(*) FROM raw.crm_{t}").fetchone()[0]
                      for t in ("customers", "orders", "support_tickets")}
            cursor = conn.execute("SELECT cursor FROM raw.extract_state WHERE source = 'crm' AND stream = 'customers'"
                                  ).fetchone()[0]
        return counts, cursor

    first, cursor = raw_counts()
    high_water = datetime.fromisoformat(cursor["updated_at"])
    late = high_water - timedelta(days=3)
    with psycopg.connect(databases.crm_url) as conn:
        customer_id = conn.execute("SELECT min(customer_id) FROM customers").fetchone()[0]
        conn.execute("UPDATE customers SET country = 'ZZ', updated_at = %s WHERE customer_id = %s", (late, customer_id))
    assert str(run_dag("crm_sync").state) == "success"
    assert raw_counts() == (first, cursor), "the incremental run must not reach 3 days back"

    backfill_date = late.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    run = airflow_env.run_dag("crm_sync", logical_date=backfill_date)
    assert str(run.state) == "success"
    assert run.data_interval_start <= late
    after, cursor_after = raw_counts()
    assert after == {**first, "customers": first["customers"] + 1}
    assert cursor_after == cursor
    with psycopg.connect(databases.warehouse_url) as conn:
        landed = conn.execute("SELECT payload->>'country' FROM raw.crm_customers WHERE native_id = %s "
                              "ORDER BY extracted_at DESC LIMIT 1", (str(customer_id),)).fetchone()[0]
    assert landed == "ZZ"
    assert str(airflow_env.run_dag("crm_sync", logical_date=backfill_date).state) == "success"
    assert raw_counts() == (after, cursor)


def _asset_events(run_id: str) -> dict[str, dict]:
    """The asset events a DAG run emitted, by asset name (what schedules customer360_build)."""
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (session.query(AssetModel.name, AssetEvent.source_dag_id, AssetEvent.extra)
                .join(AssetEvent, AssetEvent.asset_id == AssetModel.id)
                .filter(AssetEvent.source_run_id == run_id).all())
    return {name: {"source_dag_id": dag_id, "extra": extra} for name, dag_id, extra in rows}


class _Webhook(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body)["text"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def alert_webhook(monkeypatch):
    """A real HTTP endpoint on 127.0.0.1 standing in for a Slack incoming webhook."""
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    _Webhook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("SOCIAL360_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/hook")
    yield _Webhook.received
    server.shutdown()


@pytest.mark.e2e
def test_a_failed_dbt_test_on_one_mart_blocks_only_that_mart_and_is_audited(databases, airflow_ready, alert_webhook):
    """An orphan support ticket breaks fct_interactions' relationships test: fct_interactions is not
    published, the other marts are, the audit rows name the dbt test, and the alert goes out."""
    from extractors.landing import RawRecord, land
    from social360.core import db
    from social360.orchestration import airflow_env
    from tests.demo_data import NOW, load_demo

    run_dag = airflow_env.run_dag

    load_demo(seed=3, customers=40, posts=160)
    ingest = run_dag("social_ingest")
    assert str(ingest.state) == "success"
    landed = _asset_events(ingest.run_id)
    assert landed["raw.x_tweets"]["extra"]["source"] == "demo" and landed["raw.x_tweets"]["extra"]["rows_landed"] > 0
    assert str(run_dag("crm_sync").state) == "success"
    with db.connect() as conn:
        payload = conn.execute("SELECT payload FROM raw.crm_support_tickets LIMIT 1").fetchone()[0]
        orphan = {**payload, "ticket_id": 990001, "customer_id": 990001}
        land(conn, "crm_support_tickets", [RawRecord("990001", orphan)], "orphan-load")
        conn.commit()

    run = airflow_env.run_dag("customer360_build", conf={"as_of": NOW.isoformat()}, dbt_tasks="per_node")
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    assert str(run.state) == "failed"
    relationship = next(t for t in states if t.startswith("dbt.relationships_fct_interactions_customer_id"))
    assert states[relationship] == "failed"
    assert states["gate_fct_interactions"] == "failed" and states["publish_fct_interactions"] == "upstream_failed"
    others = set(PUBLISHED_MARTS) - {"fct_interactions"}
    for mart in others:
        assert states[f"gate_{mart}"] == "success" and states[f"publish_{mart}"] == "success", mart
    assert states["check_gates"] == "failed"
    with psycopg.connect(databases.warehouse_url) as conn:
        reason = conn.execute("SELECT reason FROM audit.publish_log WHERE run_id = %s AND NOT published "
                              "AND mart = 'fct_interactions'", (run.run_id,)).fetchone()[0]
        failures = conn.execute("SELECT failures FROM audit.gate_results WHERE run_id = %s AND mart = "
                                "'fct_interactions'", (run.run_id,)).fetchone()[0]
        published = {m for (m,) in conn.execute(
            "SELECT mart FROM audit.publish_log WHERE run_id = %s AND published", (run.run_id,))}
    assert "dbt test relationships_fct_interactions_customer_id" in reason
    assert any(f["expectation"].startswith("dbt test relationships_fct_interactions_customer_id") for f in failures)
    assert published == others
    blocked_alerts = [a for a in alert_webhook if "fct_interactions was NOT published" in a]
    assert blocked_alerts and "relationships_fct_interactions_customer_id" in blocked_alerts[0]
