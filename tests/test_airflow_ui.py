"""`make airflow` for real: Airflow standalone (api-server, scheduler, dag-processor, triggerer) on a
free port under the session's SOCIAL360_HOME runs customer360_build, triggered through the REST
API, with one task per dbt node under the scheduler; headless Chromium then shows the three DAGs
in the UI's DAG list without import errors (screenshot under $SOCIAL360_HOME).

Needs Debian's chromium (`apt-get install -y chromium`; .ci/run installs it) and the `playwright`
Python package; skips with that message otherwise."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest

from social360.core import config

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DAG_IDS = ("social_ingest", "crm_sync", "customer360_build")


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: run `apt-get install -y chromium` "
                    "(.ci/run does) to enable the Airflow UI test")
    pytest.importorskip("playwright.sync_api", reason="the playwright package is missing: `make install`")
    return CHROMIUM


@pytest.fixture
def local_airflow(databases, airflow_ready, chromium):
    """Demo data landed in raw with the plain stage functions, then Airflow with every DAG paused."""
    from social360.orchestration import airflow_env
    from social360.orchestration.stages import (
        configured_social_sources,
        crm_tables,
        extract_social_source,
        sync_crm_table,
    )
    from tests.demo_data import load_demo

    load_demo(seed=9, customers=30, posts=120)
    for source in configured_social_sources():
        extract_social_source(source, run_id="ui-test-load")
    for table in crm_tables():
        sync_crm_table(table, run_id="ui-test-load")
    server = airflow_env.start_standalone(paused=True)
    yield server
    server.stop()


def _api(server, token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{server.url}/api/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _wait_for_run(api: httpx.Client, dag_id: str, run_id: str, timeout: float = 1200) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = api.get(f"/dags/{dag_id}/dagRuns/{run_id}").raise_for_status().json()
        if run["state"] in ("success", "failed") or time.monotonic() > deadline:
            return run
        time.sleep(5)


def test_make_airflow_runs_the_build_from_the_rest_api_and_lists_the_dags_in_the_ui(local_airflow, chromium):
    from playwright.sync_api import sync_playwright

    from tests.demo_data import NOW

    server = local_airflow
    response = httpx.post(f"{server.url}/auth/token", json={"username": server.username, "password": server.password})
    token = response.raise_for_status().json()["access_token"]
    with _api(server, token) as api:
        assert httpx.get(f"{server.url}/api/v2/dags").status_code == 401, "the API must require the token"
        api.patch("/dags/customer360_build", json={"is_paused": False}).raise_for_status()
        run = api.post("/dags/customer360_build/dagRuns",
                       json={"logical_date": None, "conf": {"as_of": NOW.isoformat()}}).raise_for_status().json()
        finished = _wait_for_run(api, "customer360_build", run["dag_run_id"])
        tasks = api.get(f"/dags/customer360_build/dagRuns/{run['dag_run_id']}/taskInstances",
                        params={"limit": 500}).raise_for_status().json()["task_instances"]
        states = {t["task_id"]: t["state"] for t in tasks}
        assert finished["state"] == "success", {k: v for k, v in states.items() if v != "success"}
        dbt_tasks = [t for t in states if t.startswith("dbt.")]
        assert len(dbt_tasks) > 10 and "dbt.mart_sentiment_model_build" in dbt_tasks, "one task per dbt node"
        assert all(states[t] == "success" for t in dbt_tasks)
        pools = {p["name"]: p["slots"] for p in api.get("/pools").raise_for_status().json()["pools"]}
        assert {"x_api", "facebook_graph", "discourse", "crm_db"} <= set(pools)
        assert api.get("/importErrors").raise_for_status().json()["total_entries"] == 0
        listed = {d["dag_id"] for d in api.get("/dags").raise_for_status().json()["dags"]}
        assert set(DAG_IDS) <= listed

    screenshot = config.home() / "airflow-ui-dags.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{server.url}/dags")
            page.fill("input[name=username]", server.username)
            page.fill("input[name=password]", server.password)
            page.click("button[type=submit]")
            page.wait_for_url("**/dags**", timeout=60_000)
            for dag_id in DAG_IDS:
                page.get_by_text(dag_id, exact=True).first.wait_for(timeout=60_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(screenshot), full_page=True)
            text = page.inner_text("body")
        finally:
            browser.close()
    assert "Import Error" not in text
    assert screenshot.stat().st_size > 10_000
