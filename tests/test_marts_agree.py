"""The dbt tests that two marts agree pass on a real build and catch a rollup that drifts from its rows."""

from __future__ import annotations

import psycopg
import pytest

from social360.orchestration import stages as pipeline
from social360.transform import dbt_runner
from tests.demo_data import load_demo

AGREEMENT_TESTS = ["daily_response_rollup_matches_each_post", "sentiment_counts_match_interactions"]


@pytest.fixture(scope="module")
def built_marts(module_databases):
    mp = pytest.MonkeyPatch()
    for var, value in (("WAREHOUSE_URL", module_databases.warehouse_url), ("CRM_URL", module_databases.crm_url),
                       ("DEMO_SOCIAL_URL", module_databases.demo_url), ("SOCIAL360_SOURCES", "demo")):
        mp.setenv(var, value)
    load_demo(seed=4, customers=80, posts=400, days=20)
    pipeline.extract_social_source("demo", "agree-run")
    for table in pipeline.crm_tables():
        pipeline.sync_crm_table(table, "agree-run")
    pipeline.enrich()
    result = dbt_runner.build(["+mart_response_times_daily", "+mart_sentiment", "+fct_interactions"])
    assert result.success, result.summary()
    yield module_databases
    mp.undo()


def _test_status(name: str) -> tuple[str, int]:
    result = dbt_runner.invoke(["test", "--select", name])
    assert result.exception is None, result.exception
    [run] = result.result.results
    return str(run.status), run.failures or 0


def test_both_agreement_tests_pass_on_a_real_build(built_marts):
    assert [_test_status(name) for name in AGREEMENT_TESTS] == [("pass", 0), ("pass", 0)]


def test_a_daily_rollup_that_drifts_from_its_posts_fails(built_marts):
    with psycopg.connect(built_marts.warehouse_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE marts_candidate.mart_response_times_daily SET inbound_count = inbound_count + 1 "
            "WHERE received_date = (SELECT min(received_date) FROM marts_candidate.mart_response_times_daily)"
        )
    try:
        status, failures = _test_status("daily_response_rollup_matches_each_post")
        assert status == "fail" and failures >= 1
    finally:
        with psycopg.connect(built_marts.warehouse_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE marts_candidate.mart_response_times_daily SET inbound_count = inbound_count - 1 "
                "WHERE received_date = (SELECT min(received_date) FROM marts_candidate.mart_response_times_daily)"
            )


def test_a_sentiment_mart_missing_posts_fails(built_marts):
    with psycopg.connect(built_marts.warehouse_url) as conn:
        conn.execute(
            "DELETE FROM marts_candidate.fct_interactions WHERE interaction_id IN ("
            "  SELECT interaction_id FROM marts_candidate.fct_interactions"
            "  WHERE interaction_type = 'social_post' LIMIT 1)"
        )
        conn.commit()
        status, failures = _test_status("sentiment_counts_match_interactions")
        conn.rollback()
    assert status == "fail" and failures == 1
