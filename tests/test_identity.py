"""Identity resolution measured against the demo generator's ground truth (held-out seed)."""

from __future__ import annotations

import pytest

from social360.evaluation.identity import evaluate
from social360.orchestration import stages as pipeline
from social360.transform import dbt_runner
from tests.demo_data import load_demo


@pytest.fixture(scope="module")
def identities(module_databases):
    mp = pytest.MonkeyPatch()
    for var, value in (("WAREHOUSE_URL", module_databases.warehouse_url), ("CRM_URL", module_databases.crm_url),
                       ("DEMO_SOCIAL_URL", module_databases.demo_url), ("SOCIAL360_SOURCES", "demo")):
        mp.setenv(var, value)
    data = load_demo(seed=9, customers=400, posts=3000, days=30)
    pipeline.extract_social_source("demo", "id-run")
    for table in pipeline.crm_tables():
        pipeline.sync_crm_table(table, "id-run")
    result = dbt_runner.build(["+int_social_identities"])
    assert result.success, result.summary()
    yield data, evaluate()
    mp.undo()


def test_precision_and_recall_reach_the_targets(identities):
    _, score = identities
    assert score.owned_accounts > 250
    assert score.precision >= 0.98
    assert score.recall >= 0.90


def test_every_method_is_used_and_exact_links_are_never_wrong(identities):
    _, score = identities
    assert set(score.by_method) == {"exact_handle", "order_reference", "fuzzy_name"}
    exact = score.by_method["exact_handle"]
    assert exact["links"] == exact["correct"] > 0


def test_no_account_links_two_customers_and_no_customer_two_accounts_per_channel(identities, use_databases):
    import psycopg

    with psycopg.connect(use_databases.warehouse_url) as conn:
        per_customer = conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM intermediate.int_social_identities "
            "WHERE customer_id IS NOT NULL GROUP BY channel, customer_id) AS t"
        ).fetchone()[0]
        per_account = conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM intermediate.int_social_identities "
            "GROUP BY channel, account_id) AS t"
        ).fetchone()[0]
    assert per_customer == 1 and per_account == 1
