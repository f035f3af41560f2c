"""No silent loss: raw rows that vanish block the marts built from them, a channel that shrinks
blocks its mart (a bound per channel, configured in one place), and a brand reply dated before
the post it answers is reported instead of leaving the post silently unanswered."""

from __future__ import annotations

import json

import psycopg
import pytest

from extractors.jsonl import jsonl_dump as jsonl
from tests.demo_data import load_demo


def _gate_failures(url: str, run_id: str, mart: str) -> list[dict]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT failures FROM audit.gate_results WHERE run_id = %s AND mart = %s ORDER BY id DESC LIMIT 1",
            (run_id, mart),
        ).fetchone()
    return row[0] if row else []


def test_a_brand_reply_dated_before_its_post_is_reported_with_a_count(databases, tmp_path, monkeypatch):
    from social360.orchestration.stages import run_all_local

    monkeypatch.delenv("CRM_URL")  # a dump on its own

    posts = [
        {"id": "c-1", "created_at": "2026-11-19T10:00:00Z", "author_id": "u1", "is_brand": False,
         "text": "My parcel never arrived", "thread_id": "c-1", "brand_account": "acme"},
        {"id": "b-1", "created_at": "2026-11-19T09:50:00Z", "author_id": "acme", "is_brand": True,
         "text": "Sorry, please DM us", "in_reply_to_id": "c-1", "thread_id": "c-1", "brand_account": "acme"},
        {"id": "c-2", "created_at": "2026-11-19T11:00:00Z", "author_id": "u2", "is_brand": False,
         "text": "Is the shop open on Sunday?", "thread_id": "c-2", "brand_account": "acme"},
        {"id": "b-2", "created_at": "2026-11-19T11:20:00Z", "author_id": "acme", "is_brand": True,
         "text": "Yes, 10 to 4", "in_reply_to_id": "c-2", "thread_id": "c-2", "brand_account": "acme"},
    ]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in posts) + "\n", encoding="utf-8")
    jsonl.import_file(path, "chat", "import")

    report = run_all_local("early-reply", as_of="2026-11-19T12:00:00+00:00")
    assert report["gates"]["mart_response_times"] == "published", report["gates"]
    warnings = [f for f in _gate_failures(databases.warehouse_url, "early-reply", "mart_response_times")
                if "brand_replies_before_post" in f["expectation"]]
    assert [(w["severity"], w["observed"]) for w in warnings] == [("warning", 1)], warnings
    with psycopg.connect(databases.warehouse_url) as conn:
        rows = dict(conn.execute("SELECT post_id, brand_replies_before_post FROM marts.mart_response_times").fetchall())
    assert rows == {"c-1": 1, "c-2": 0}


@pytest.fixture
def published_demo(databases):
    """A small demo data set built and published once."""
    from social360.orchestration.stages import run_all_local

    load_demo(seed=9, customers=50, posts=300)
    report = run_all_local("first")
    assert set(report["gates"].values()) == {"published"}, report["gates"]
    return databases


def test_raw_rows_that_vanish_block_the_marts_built_from_them_until_accepted(published_demo):
    from typer.testing import CliRunner

    from expectations import gate
    from social360.cli import app
    from social360.orchestration.stages import run_all_local

    url = published_demo.warehouse_url
    with psycopg.connect(url) as conn:
        lost = conn.execute("SELECT count(*) FROM raw.facebook_comments").fetchone()[0]
        conn.execute("TRUNCATE raw.facebook_comments")
    assert lost > 0
    report = run_all_local("after-truncate")
    blocked = {m for m, outcome in report["gates"].items() if outcome != "published"}
    assert {"fct_interactions", "mart_sentiment", "mart_response_times", "mart_priority_queue"} <= blocked, report
    failure = next(f for f in _gate_failures(url, "after-truncate", "fct_interactions") if f["check"] == "raw_loss")
    assert failure["relation"] == "raw.facebook_comments" and failure["severity"] == "error"
    assert f"({lost} rows then)" in failure["expectation"]
    # still blocked later: the loss is measured against the last build that found none
    assert [f.check for f in gate.validate("fct_interactions", run_id="again", data_docs=False).errors] == ["raw_loss"]

    accepted = CliRunner().invoke(app, ["accept-raw-loss", "raw.facebook_comments", "--reason", "erasure request"])
    assert accepted.exit_code == 0 and "0 rows accepted" in accepted.output, accepted.output
    assert gate.validate("fct_interactions", run_id="accepted", data_docs=False).success


def test_a_channel_that_shrinks_blocks_its_mart_even_when_the_table_barely_shrinks(published_demo, tmp_path,
                                                                                   monkeypatch):
    from expectations import gate
    from social360.orchestration.stages import build_models

    url = published_demo.warehouse_url
    build_models()  # fresh candidates, the same rows as the published versions
    with psycopg.connect(url) as conn:
        counts = dict(conn.execute("SELECT channel, count(*) FROM marts_candidate.fct_interactions "
                                   "WHERE interaction_type = 'social_post' GROUP BY channel").fetchall())
        dropped = conn.execute(
            "DELETE FROM marts_candidate.fct_interactions WHERE interaction_id IN (SELECT interaction_id FROM "
            "marts_candidate.fct_interactions WHERE channel = 'facebook' AND interaction_type = 'social_post' "
            "ORDER BY interaction_id LIMIT %s)", (counts["facebook"] // 4,)).rowcount
        total = conn.execute("SELECT count(*) FROM marts.fct_interactions").fetchone()[0]
    assert dropped > 10 and dropped / total < 0.1  # a quarter of one channel, under a tenth of the table

    result = gate.validate("fct_interactions", run_id="shrunk", data_docs=False)
    volume = [f for f in result.errors if f.check == "volume"]
    assert not result.success and len(volume) == 1, result.message()
    assert "each (channel, interaction_type)" in volume[0].expectation and volume[0].observed == 1

    # the bound is configured in one place: a looser one lets the same candidate through
    config = tmp_path / "gate.toml"
    config.write_text("[volume]\nmin_ratio = 0.7\n", encoding="utf-8")
    monkeypatch.setenv("SOCIAL360_GATE_CONFIG", str(config))
    assert not [f for f in gate.validate("fct_interactions", run_id="loose", data_docs=False).errors
                if f.check == "volume"]
