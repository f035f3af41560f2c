"""Write-audit-publish on the real warehouse: a failing check blocks only its mart and keeps the
last good version readable; bi_reader sees only the published schema."""

from __future__ import annotations

import psycopg
import pytest

from social360.core import warehouse
from social360.core.catalog import PUBLISHED_MARTS
from social360.orchestration import stages as pipeline
from social360.publish import publisher as publish
from social360.reporting.summary import published_status
from tests.demo_data import NOW, load_demo

AS_OF = NOW.isoformat()


@pytest.fixture(scope="module")
def published(module_databases):
    """A demo data set run through every stage once (no Airflow), all marts published as version 1."""
    mp = pytest.MonkeyPatch()
    for var, value in (("WAREHOUSE_URL", module_databases.warehouse_url), ("CRM_URL", module_databases.crm_url),
                       ("DEMO_SOCIAL_URL", module_databases.demo_url), ("SOCIAL360_SOURCES", "demo")):
        mp.setenv(var, value)
    load_demo(seed=5, customers=60, posts=300)
    report = pipeline.run_all_local("run-1", as_of=AS_OF)
    yield module_databases, report
    mp.undo()


def _snapshot(url, mart):
    with psycopg.connect(url) as conn:
        return sorted(conn.execute(f"SELECT * FROM marts.{mart}").fetchall(), key=repr)


def test_first_run_publishes_every_mart(published, use_databases):
    _, report = published
    assert report["gates"] == dict.fromkeys(PUBLISHED_MARTS, "published")
    status = published_status()
    assert {m: s["version"] for m, s in status.items()} == dict.fromkeys(PUBLISHED_MARTS, 1)
    assert all(s["last_gate_passed"] for s in status.values())


def test_a_failing_check_blocks_only_its_mart_and_keeps_the_previous_version(published, use_databases):
    url = use_databases.warehouse_url
    before = _snapshot(url, "mart_sentiment")
    summary = pipeline.build_models(as_of=AS_OF)
    with psycopg.connect(url) as conn:  # a bad build: a duplicated row in the candidate
        conn.execute("INSERT INTO marts_candidate.mart_sentiment SELECT * FROM marts_candidate.mart_sentiment LIMIT 1")
    with pytest.raises(pipeline.GateFailed, match="key sentiment_key is unique") as blocked:
        pipeline.gate("mart_sentiment", summary, "run-2")
    assert "sentiment_key" in str(blocked.value)
    assert _snapshot(url, "mart_sentiment") == before

    pipeline.gate("mart_response_times", summary, "run-2")
    assert publish.publish("mart_response_times", run_id="run-2").version == 2

    status = published_status()
    assert status["mart_sentiment"]["version"] == 1 and status["mart_sentiment"]["last_gate_passed"] is False
    assert any("unique" in f for f in status["mart_sentiment"]["failed_expectations"])
    assert status["mart_response_times"]["version"] == 2
    with psycopg.connect(url) as conn:
        blocked_row = conn.execute(
            "SELECT published, reason FROM audit.publish_log WHERE run_id = 'run-2' AND mart = 'mart_sentiment'"
        ).fetchone()
        gate_row = conn.execute(
            "SELECT success, failed_errors, failures FROM audit.gate_results WHERE run_id = 'run-2' "
            "AND mart = 'mart_sentiment'"
        ).fetchone()
    assert blocked_row[0] is False and "blocked" in blocked_row[1]
    assert gate_row[0] is False and gate_row[1] >= 1
    assert any(f["observed"] for f in gate_row[2])


def test_bi_reader_reads_marts_and_nothing_else(published, use_databases):
    if warehouse.external_url() and not warehouse._read_state():  # pragma: no cover - external server
        pytest.skip("bi_reader's password is only known for the embedded server")
    state = warehouse._read_state()
    dbname = use_databases.names[0]
    bi = warehouse._url(warehouse.BI_USER, state.bi_password, state.port, dbname)
    with psycopg.connect(bi, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM marts.mart_sentiment").fetchone()[0] > 0
        for table in ("raw.x_tweets", "audit.publish_log", "enrichment.post_scores", "staging.stg_crm__customers",
                      "intermediate.int_social_posts", "marts_candidate.mart_sentiment", "retired.anything"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM {table} LIMIT 1")
        columns = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts'")}
        assert "email" not in columns and "phone" not in columns
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(warehouse._url(warehouse.BI_USER, state.bi_password, state.port, use_databases.names[1]))


def test_publishing_keeps_the_model_description_in_the_table_comment(published, use_databases):
    import yaml

    from social360.core import config

    models = yaml.safe_load((config.DBT_PROJECT_DIR / "models" / "marts" / "_marts__models.yml").read_text())
    descriptions = {model["name"]: model["description"] for model in models["models"]}
    with psycopg.connect(use_databases.warehouse_url) as conn:
        for mart in PUBLISHED_MARTS:
            version = conn.execute("SELECT max(version) FROM audit.publish_log WHERE mart = %s AND published",
                                   (mart,)).fetchone()[0]
            comment = conn.execute("SELECT obj_description(%s::regclass, 'pg_class')", (f"marts.{mart}",)).fetchone()[0]
            assert comment.startswith(descriptions[mart].strip()), (mart, comment)
            assert comment.count("Published version") == 1 and f"Published version {version} " in comment
