"""Listening without a CRM is a legitimate first use: a conversation dump imported into a warehouse
with no CRM configured runs green (the empty customer dimension is a warning), while a configured
CRM that yields no customers still blocks the customer dimension."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from extractors.twcs import twcs_dump as twcs
from tests.test_import_dumps import SAMPLE, _check_against_the_csv, _crm_tables, _published_response_times

AS_OF = "2017-11-01T00:00:00+00:00"


@pytest.fixture
def no_crm(databases, monkeypatch):
    """No CRM_URL, and the server's default CRM database holds no CRM tables."""
    from social360.core import config, db

    monkeypatch.delenv("CRM_URL")
    with psycopg.connect(db.source_url(config.CRM_DB)) as conn:
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename IN ('customers', 'orders')").fetchone()[0]
    if tables:
        pytest.skip("the server's default CRM database holds CRM tables")
    return databases


def _gate(url: str, mart: str) -> tuple[bool, list[dict]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT success, failures FROM audit.gate_results WHERE mart = %s ORDER BY id DESC LIMIT 1", (mart,)
        ).fetchone()


def test_a_dump_without_a_crm_publishes_every_mart_with_a_warning_for_the_empty_customer_dimension(no_crm):
    from social360.orchestration.stages import run_all_local

    assert twcs.import_file(SAMPLE, "import").rows_landed == 93
    report = run_all_local("no-crm-run", as_of=AS_OF)
    assert set(report["gates"].values()) == {"published"}, report["gates"]
    _check_against_the_csv(_published_response_times(no_crm.warehouse_url))
    success, failures = _gate(no_crm.warehouse_url, "dim_customers")
    assert success
    empty = [f for f in failures if f["check"] == "not_empty"]
    assert [f["severity"] for f in empty] == ["warning"], failures
    assert "no CRM" in empty[0]["expectation"]


def test_a_configured_crm_without_customers_still_blocks_the_customer_dimension(databases):
    from social360.orchestration.stages import run_all_local

    _crm_tables(databases.crm_url)  # CRM_URL is set and its tables exist, but hold nobody
    twcs.import_file(SAMPLE, "import")
    report = run_all_local("empty-crm-run", as_of=AS_OF)
    assert report["gates"]["dim_customers"].startswith("blocked"), report["gates"]
    assert "not empty" in report["gates"]["dim_customers"]
    assert report["gates"]["mart_response_times"] == "published"


@pytest.mark.e2e
def test_social360_run_on_a_dump_without_a_crm_exits_0(no_crm, airflow_ready):
    from social360.cli import app

    assert twcs.import_file(SAMPLE, "import").rows_landed == 93
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 0, result.output
    with psycopg.connect(no_crm.warehouse_url) as conn:
        published = {m for (m,) in conn.execute("SELECT DISTINCT mart FROM audit.publish_log WHERE published")}
    assert {"dim_customers", "mart_response_times", "fct_interactions"} <= published
