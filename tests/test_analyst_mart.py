"""An analyst adds a mart the dbt way (dbt_project/README.md): write a model that refs a published
mart and its yml with `meta: {publish: true}`, `social360 dbt build --select` it, and the build
DAG gates and publishes it with a default gate derived from its yml; no Python is edited.

The model lives in a folder of the test's own (SOCIAL360_DBT_EXTRA_MODELS, a git-ignored
dbt_project/test_models_*), included only in this test's builds: not in the product's.
"""

from __future__ import annotations

import shutil
import uuid

import psycopg
import pytest
from typer.testing import CliRunner

from social360 import cli
from social360.core import catalog, config, warehouse
from social360.orchestration import dbt_airflow
from social360.orchestration import stages as pipeline
from social360.reporting.summary import published_status
from social360.transform import dbt_runner
from tests.conftest import run_dag, task_states
from tests.demo_data import NOW, load_demo

AS_OF = NOW.isoformat()
MART = "mart_analyst_social_posts"

MODEL_SQL = """\
select
    interaction_id,
    channel,
    interaction_type,
    occurred_at
from {{ ref('fct_interactions') }}
where interaction_type in ('social_post', 'brand_reply')
"""

MODEL_YML = f"""\
version: 2
models:
  - name: {MART}
    description: Social posts and brand replies, one row each (an analyst's mart).
    config:
      meta:
        publish: true
      contract:
        enforced: true
    columns:
      - name: interaction_id
        data_type: text
        data_tests: [unique, not_null]
      - name: channel
        data_type: text
        data_tests: [not_null]
      - name: interaction_type
        data_type: text
        data_tests:
          - accepted_values:
              arguments:
                values: [social_post, brand_reply]
      - name: occurred_at
        data_type: timestamp with time zone
"""


def _write_model(folder, sql: str) -> None:
    marts = folder / "marts"
    marts.mkdir(parents=True, exist_ok=True)
    (marts / f"{MART}.sql").write_text(sql)
    (marts / f"_{MART}.yml").write_text(MODEL_YML)


@pytest.fixture(scope="module")
def published(module_databases, airflow_ready):
    """The product's marts published once (version 1); then an analyst's model in a folder of its own."""
    mp = pytest.MonkeyPatch()
    for var, value in (("WAREHOUSE_URL", module_databases.warehouse_url), ("CRM_URL", module_databases.crm_url),
                       ("DEMO_SOCIAL_URL", module_databases.demo_url), ("SOCIAL360_SOURCES", "demo")):
        mp.setenv(var, value)
    load_demo(seed=9, customers=40, posts=250)
    report = pipeline.run_all_local("product-1", as_of=AS_OF)
    assert set(report["gates"].values()) == {"published"}, report["gates"]
    name = f"test_models_{uuid.uuid4().hex[:8]}"
    folder = config.DBT_PROJECT_DIR / name
    _write_model(folder, MODEL_SQL)
    mp.setenv(dbt_runner.EXTRA_MODELS_ENV, name)
    yield module_databases, folder
    mp.undo()
    shutil.rmtree(folder, ignore_errors=True)
    dbt_runner.parse()  # later tests see the product's project again
    dbt_airflow.ensure_manifest(force=True)


def _rows(url: str, relation: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return sorted(conn.execute(f"SELECT * FROM {relation}").fetchall())


def _bi_rows(dbname: str) -> list[tuple]:
    state = warehouse._read_state()
    with psycopg.connect(warehouse._url(warehouse.BI_USER, state.bi_password, state.port, dbname)) as conn:
        return sorted(conn.execute(f"SELECT * FROM marts.{MART}").fetchall())


def test_the_product_publishes_what_its_yml_marks_publish():
    dbt_airflow.ensure_manifest()
    assert catalog.published_marts(dbt_airflow.manifest_path()) == catalog.PUBLISHED_MARTS


def test_dbt_build_select_reads_the_published_marts(published, use_databases):
    url = use_databases.warehouse_url
    result = CliRunner().invoke(cli.app, ["dbt", "build", "--select", MART])
    assert result.exit_code == 0, result.output
    social = [r for r in _rows(url, "marts.fct_interactions") if r[3] in ("social_post", "brand_reply")]
    assert len(social) > 50
    assert _rows(url, f"marts_candidate.{MART}") == sorted((r[0], r[2], r[3], r[5]) for r in social)
    assert MART in catalog.published_marts()


def test_the_default_gate_comes_from_the_yml(published, use_databases):
    from expectations.suites import mart_spec

    spec = mart_spec(MART)
    assert spec.key == ("interaction_id",)
    assert set(spec.not_null) == {"channel"}
    assert spec.labels == {"interaction_type": ("social_post", "brand_reply")}
    assert spec.columns == {"interaction_id": "text", "channel": "text", "interaction_type": "text",
                            "occurred_at": "timestamp"}
    assert spec.volume and spec.pii_free


def test_the_build_dag_publishes_it_gated_and_bi_reader_reads_it(published, use_databases):
    url = use_databases.warehouse_url
    run = run_dag("customer360_build", conf={"as_of": AS_OF})
    states = task_states(run)
    assert states[f"gate_{MART}"] == "success" and states[f"publish_{MART}"] == "success", states
    status = published_status()[MART]
    assert status["version"] == 1 and status["last_gate_passed"] is True
    assert status["last_gate_checks"] >= 8  # dbt's outcome plus the derived suite's checks
    assert _bi_rows(use_databases.names[0]) == _rows(url, f"marts.{MART}") != []


def test_a_broken_version_is_blocked_and_the_last_good_one_stays(published, use_databases):
    url = use_databases.warehouse_url
    _, folder = published
    good = _rows(url, f"marts.{MART}")
    _write_model(folder, MODEL_SQL + "limit 3\n")  # passes its dbt tests, loses almost every row
    run = run_dag("customer360_build", conf={"as_of": AS_OF})
    states = task_states(run)
    assert states[f"gate_{MART}"] == "failed" and states[f"publish_{MART}"] != "success", states
    assert states["publish_fct_interactions"] == "success", "the other marts publish on their own"
    status = published_status()[MART]
    assert status["version"] == 1 and status["last_gate_passed"] is False
    assert any("row count" in f.lower() or "volume" in f.lower() for f in status["failed_expectations"]), status
    assert _rows(url, f"marts.{MART}") == good
    assert _bi_rows(use_databases.names[0]) == good
