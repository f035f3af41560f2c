"""One build at a time per warehouse: a second build waits for the first or, when it is still
running, skips everything (nothing built, validated, recorded or alerted), under the DAGs and the
in-process pipeline alike; a crashed build's lease does not block the next one for long."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from social360.core import build_lock
from tests.conftest import run_dag, task_states
from tests.demo_data import load_demo
from tests.test_quality_gate_alerts import webhook  # noqa: F401  (fixture)


def _lease(url: str):
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT holder, expires_at > now() FROM audit.build_lease").fetchall()


def test_the_lease_belongs_to_one_build_at_a_time(databases):
    first = build_lock.try_acquire("build/one", ttl=60)
    assert first is not None and first.holder == "build/one"
    assert build_lock.try_acquire("build/two", ttl=60) is None
    assert build_lock.try_acquire("build/one", ttl=60) is not None  # its holder renews it
    with pytest.raises(build_lock.BuildRunning, match="another build is running: build/one"):
        build_lock.acquire("build/two", wait=0.5, poll=0.1)
    assert not build_lock.release("build/two")  # not its lease
    assert _lease(databases.warehouse_url) == [("build/one", True)]
    assert build_lock.release("build/one")
    assert build_lock.try_acquire("build/two", ttl=60) is not None


def test_an_expired_lease_and_the_lease_of_a_dead_build_process_are_taken_over(databases, monkeypatch):
    assert build_lock.try_acquire("build/crashed", ttl=0.5) is not None
    assert build_lock.try_acquire("build/next", ttl=60) is None
    time.sleep(0.8)
    assert build_lock.try_acquire("build/next", ttl=60) is not None  # expired

    # a one-process build (dag.test) whose process died: taken over at once, long ttl or not
    build_lock.release("build/next")
    script = ("import os; from social360.core import build_lock; os.environ[build_lock.IN_PROCESS_ENV] = '1'; "
              "assert build_lock.try_acquire('build/died', ttl=3600)")
    subprocess.run([sys.executable, "-c", script], check=True)
    assert _lease(databases.warehouse_url) == [("build/died", True)]
    assert build_lock.try_acquire("build/after", ttl=60) is not None


def test_a_working_build_keeps_its_lease_alive(databases):
    build_lock.acquire("build/long", ttl=1.5)
    with build_lock.kept("build/long", ttl=1.5):
        time.sleep(3.0)  # twice the ttl: renewed in the background
        assert build_lock.try_acquire("build/other", ttl=60) is None
    assert build_lock.release("build/long")


def test_two_builds_in_one_process_run_one_after_the_other(databases):
    from social360.orchestration.stages import run_all_local

    load_demo(seed=5, customers=40, posts=160)
    outcomes: dict[str, object] = {}

    def build(run_id: str) -> None:
        try:
            outcomes[run_id] = run_all_local(run_id)
        except Exception as exc:  # noqa: BLE001 - recorded for the assertion below
            outcomes[run_id] = exc

    threads = [threading.Thread(target=build, args=(f"concurrent-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
        time.sleep(0.5)
    for thread in threads:
        thread.join(timeout=600)
    for run_id, outcome in outcomes.items():
        assert isinstance(outcome, dict), f"{run_id}: {outcome!r}"
        assert set(outcome["gates"].values()) == {"published"}, (run_id, outcome["gates"])
    with psycopg.connect(databases.warehouse_url) as conn:
        versions = conn.execute("SELECT max(version) FROM audit.publish_log WHERE mart = 'fct_interactions'").fetchone()[0]
    assert versions == 2
    assert _lease(databases.warehouse_url) == []


@pytest.mark.e2e
def test_a_build_dag_run_while_another_build_runs_skips_everything_and_alerts_nobody(
        databases, airflow_ready, webhook, monkeypatch):  # noqa: F811
    from social360.orchestration.stages import run_all_local
    from social360.reporting.summary import published_status

    load_demo(seed=6, customers=40, posts=160)
    run_all_local("first-build")
    before = published_status()
    assert all(s["last_gate_passed"] for s in before.values()), before
    with psycopg.connect(databases.warehouse_url) as conn:
        gates_before = conn.execute("SELECT count(*) FROM audit.gate_results").fetchone()[0]

    monkeypatch.setenv(build_lock.WAIT_ENV, "1")
    assert build_lock.try_acquire("another/build", ttl=600)
    run = run_dag("customer360_build")
    states = task_states(run)
    assert states["take_build_lock"] == "success"
    skipped = {task for task, state in states.items() if state == "skipped"}
    # the teardown runs whatever happened before it, and gives back only this run's own lease
    assert skipped == set(states) - {"take_build_lock", "release_build_lock"}, states
    with psycopg.connect(databases.warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM audit.gate_results").fetchone()[0] == gates_before
        assert conn.execute("SELECT count(*) FROM audit.publish_log WHERE run_id = %s", (run.run_id,)).fetchone()[0] == 0
    assert webhook.received == []  # no false "NOT published" alerts
    assert published_status() == before  # nobody overwrote the gates' verdicts
    assert _lease(databases.warehouse_url) == [("another/build", True)]

    from typer.testing import CliRunner

    from social360.cli import app

    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1, result.output
    assert "another build is running: another/build" in result.output
    assert re.search(r"✗ customer360_build +skipped: another build is running", result.output), result.output

    build_lock.release("another/build")
    run = run_dag("customer360_build")
    states = task_states(run)
    assert states["enrich"] == "success" and states["release_build_lock"] == "success", states
    assert all(s["last_gate_passed"] for s in published_status().values())
    assert _lease(databases.warehouse_url) == []  # released by the teardown
