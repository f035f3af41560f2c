"""Sentiment and intent scoring: the scorer, the JSON-lines command and the warehouse runner."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from enrichment.runner import score_new_posts
from enrichment.scorer import SCORER_VERSION, Scorer
from enrichment.stream import score_stream
from extractors.landing import RawRecord, land
from social360 import db


@pytest.fixture(scope="module")
def scorer():
    return Scorer()


@pytest.mark.parametrize(
    ("text", "label", "intent"),
    [
        ("@AcmeHelp my order still hasn't arrived, it's been 9 days. This is ridiculous", "negative", "complaint"),
        ("@AcmeHelp the blender arrived broken and the box was soaked. Not happy", "negative", "complaint"),
        ("@AcmeHelp love my new smart watch 😍 great quality", "positive", "praise"),
        ("@AcmeHelp how do I change the delivery address on my order?", None, "question"),
    ],
)
def test_labels_and_intents_of_typical_posts(scorer, text, label, intent):
    score = scorer.score(text)
    assert -1 <= score.sentiment_score <= 1
    if label:
        assert score.sentiment_label == label
    assert score.intent == intent
    assert score.scorer_version == SCORER_VERSION


def test_empty_and_non_text_inputs_do_not_crash(scorer):
    assert scorer.score("").sentiment_label == "neutral"
    assert scorer.score(None).intent == "other"


def test_stream_scores_each_line_and_reports_bad_lines(scorer):
    lines = "\n".join([
        json.dumps({"id": 1, "text": "thanks, that worked!"}),
        "{not json",
        json.dumps({"id": 2}),
        "",
        json.dumps([1, 2]),
        json.dumps({"id": "x", "text": "still waiting on my refund 😡"}),
    ])
    out = io.StringIO()
    assert score_stream(io.StringIO(lines), out, scorer=scorer) == 5
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert results[0]["id"] == 1 and results[0]["sentiment_label"] == "positive"
    assert results[1] == {"line": 2, "error": results[1]["error"]} and "invalid JSON" in results[1]["error"]
    assert results[2]["id"] == 2 and results[2]["error"] == "missing 'text'"
    assert "expected a JSON object" in results[3]["error"]
    assert results[4]["id"] == "x" and results[4]["sentiment_label"] == "negative"


def test_score_command_reads_stdin():
    proc = subprocess.run(
        [sys.executable, "-m", "social360.cli", "score"],
        input='{"id": "a", "text": "worst service ever"}\nnot json\n',
        capture_output=True, text=True, timeout=120, check=True,
    )
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows[0]["id"] == "a" and rows[0]["sentiment_label"] == "negative"
    assert set(rows[0]) >= {"id", "sentiment_score", "sentiment_label", "intent", "scorer_version"}
    assert "error" in rows[1]


def test_runner_scores_each_version_once(databases):
    with db.connect() as conn:
        land(conn, "x_tweets", [RawRecord(str(i), {"id": str(i), "text": f"great help {i}!"}) for i in range(20)], "r1")
        conn.commit()
    assert score_new_posts()["x_tweets"] == 20
    assert score_new_posts()["x_tweets"] == 0
    with db.connect() as conn:
        land(conn, "x_tweets", [RawRecord("3", {"id": "3", "text": "actually this is broken, refund me"})], "r2")
        conn.commit()
    assert score_new_posts()["x_tweets"] == 1  # only the edited post
    with db.connect() as conn:
        label = conn.execute(
            "SELECT s.sentiment_label FROM enrichment.post_scores s JOIN raw.x_tweets r "
            "ON r.native_id = s.native_id AND r.payload_hash = s.payload_hash "
            "WHERE r.native_id = '3' ORDER BY r.loaded_seq DESC LIMIT 1"
        ).fetchone()[0]
    assert label == "negative"
