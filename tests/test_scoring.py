"""Sentiment and intent scoring: the scorer, the batch path, the JSON-lines command and the warehouse runner."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from enrichment import scorer as scorer_module
from enrichment.scorer import SCORER_VERSION, Score, Scorer
from enrichment.stream import score_stream
from enrichment.warehouse_scoring import score_new_posts
from extractors.landing import RawRecord, land
from social360.core import db


@pytest.fixture(scope="module")
def scorer():
    return Scorer()


@pytest.mark.parametrize(
    ("text", "label", "intent"),
    [
        ("@AcmeHelp my order still hasn't arrived, it's been 9 days. This is ridiculous", "negative", "complaint"),
        ("@AcmeHelp the blender arrived broken and the box was soaked. Not happy", "negative", "complaint"),
        ("@AcmeHelp love my new smart watch 😍 great quality", "positive", "praise"),
        ("@AcmeHelp how do I change the delivery address on my order?", "neutral", "question"),
    ],
)
def test_labels_and_intents_of_typical_posts(scorer, text, label, intent):
    score = scorer.score(text)
    assert -1 <= score.sentiment_score <= 1
    assert score.sentiment_label == label
    assert score.intent == intent
    assert score.scorer_version == SCORER_VERSION
    assert score.language == "en"


def test_empty_and_non_text_inputs_do_not_crash(scorer):
    assert scorer.score("").sentiment_label == "neutral"
    assert scorer.score(None).intent == "other"
    assert scorer.score(12345).sentiment_label == "neutral"
    assert scorer.score("").language is None
    long = scorer.score("refund " * 2000 + "\x00")
    assert long.sentiment_label == "negative" and long.intent == "complaint"


def test_language_is_detected_cheaply(scorer):
    assert scorer.score("mi pedido lleva dos semanas de retraso y nadie responde").language == "es"
    assert scorer.score("Bonjour, est-ce que la livraison est gratuite en France ?").language == "fr"
    assert scorer.score("荷物がまだ届きません").language == "ja"
    assert scorer.score("👍").language is None


def test_as_dict_holds_every_field(scorer):
    score = scorer.score("thanks!")
    assert score.as_dict() == dataclasses.asdict(score)


def test_cache_returns_the_same_score_and_can_be_turned_off():
    cached = Scorer(cache_size=2)
    first = cached.score("still waiting on my refund")
    assert cached.score("still waiting on my refund") is first
    for text in ("a", "b", "c"):  # overflowing the cache clears it, nothing breaks
        cached.score(text)
    assert cached.score("still waiting on my refund") == first
    uncached = Scorer(cache_size=0)
    assert uncached.score("still waiting") is not uncached.score("still waiting")


def test_score_many_keeps_order_and_equals_score(scorer):
    texts = ["thanks, all sorted!", "where is my parcel??", "", "flight delayed again", "ok"] * 3
    assert scorer.score_many(texts) == [scorer.score(t) for t in texts]
    assert scorer.score_many(iter(texts)) == [scorer.score(t) for t in texts]


def test_score_many_uses_a_process_pool_for_large_batches(monkeypatch):
    monkeypatch.setattr(scorer_module, "PARALLEL_FROM", 300)
    texts = [f"order {i} still not delivered" if i % 3 else f"thanks for the help {i}!" for i in range(2_500)]
    with Scorer(cache_size=0) as pooled:
        scores = pooled.score_many(texts, workers=2)
        assert pooled._pool is not None and pooled._pool.workers == 2
    assert pooled._pool is None  # closed on exit
    single = Scorer(cache_size=0)
    assert scores == [single.score(t) for t in texts]
    assert all(isinstance(s, Score) and s.scorer_version == SCORER_VERSION for s in scores)


def test_score_many_falls_back_to_this_process_when_the_pool_breaks(monkeypatch, caplog):
    from concurrent.futures.process import BrokenProcessPool

    from enrichment.parallel import ScoringPool

    def broken(self, function, payloads):
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(scorer_module, "PARALLEL_FROM", 10)
    monkeypatch.setattr(ScoringPool, "map", broken)
    texts = [f"still waiting for order {i}" for i in range(50)]
    with Scorer(cache_size=0) as fallback:
        scores = fallback.score_many(texts, workers=2)
        assert fallback._pool is None
    assert scores == [Scorer(cache_size=0).score(t) for t in texts]
    assert "process pool unavailable" in caplog.text


def test_stream_scores_each_line_and_reports_bad_lines(scorer):
    lines = "\n".join([
        json.dumps({"id": 1, "text": "thanks, that worked!"}),
        "{not json",
        json.dumps({"id": 2}),
        "",
        json.dumps([1, 2]),
        json.dumps({"id": "x", "text": "still waiting on my refund 😡"}),
        json.dumps({"id": "y", "text": 42}),
    ])
    out = io.StringIO()
    assert score_stream(io.StringIO(lines), out, scorer=scorer) == 6
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert results[0]["id"] == 1 and results[0]["sentiment_label"] == "positive"
    assert set(results[0]) == {"id", "sentiment_score", "sentiment_label", "intent", "scorer_version", "language"}
    assert results[1] == {"line": 2, "error": results[1]["error"]} and "invalid JSON" in results[1]["error"]
    assert results[2]["id"] == 2 and results[2]["error"] == "missing 'text'"
    assert "expected a JSON object" in results[3]["error"] and results[3]["line"] == 5
    assert results[4]["id"] == "x" and results[4]["sentiment_label"] == "negative" and results[4]["intent"] == "complaint"
    assert results[5] == {"id": "y", "line": 7, "error": "'text' must be a string"}


def test_stream_in_parallel_writes_the_same_lines_in_the_same_order(scorer):
    lines = []
    for i in range(1_000):
        if i % 97 == 0:
            lines.append("not json")
        elif i % 101 == 0:
            lines.append("")
        else:
            lines.append(json.dumps({"id": i, "text": ["my bill is wrong", "love it 😍", "how do I pay?"][i % 3]}))
    source = "\n".join(lines) + "\n"
    sequential, parallel = io.StringIO(), io.StringIO()
    written = score_stream(io.StringIO(source), sequential, scorer=scorer, workers=1, batch_lines=64)
    assert score_stream(io.StringIO(source), parallel, scorer=scorer, workers=2, batch_lines=64) == written
    assert parallel.getvalue() == sequential.getvalue()
    rows = [json.loads(line) for line in parallel.getvalue().splitlines()]
    assert len(rows) == written == sum(1 for line in lines if line)
    assert rows[0] == {"line": 1, "error": rows[0]["error"]}
    assert [r["id"] for r in rows if "id" in r] == sorted(r["id"] for r in rows if "id" in r)


def test_score_command_reads_stdin():
    proc = subprocess.run(
        [sys.executable, "-m", "social360.cli", "score"],
        input='{"id": "a", "text": "worst service ever"}\nnot json\n{"id": "b", "text": "on hold for 2 hours"}\n',
        capture_output=True, text=True, timeout=120, check=True,
    )
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert rows[0]["id"] == "a" and rows[0]["sentiment_label"] == "negative"
    assert set(rows[0]) >= {"id", "sentiment_score", "sentiment_label", "intent", "scorer_version"}
    assert rows[1] == {"line": 2, "error": rows[1]["error"]}
    assert rows[2]["id"] == "b" and rows[2]["intent"] == "complaint"


def test_nltk_is_imported_without_scipy_stats_which_stays_importable():
    code = ("import sys, enrichment.scorer; assert 'nltk' in sys.modules and 'scipy.stats' not in sys.modules; "
            "import scipy.stats; a = sys.modules['nltk.metrics.association']; "
            "print(a.fisher_exact is not scipy.stats.fisher_exact)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert proc.stdout.strip() == "True"  # NLTK's own stub, the optional test it never runs for us


def _stored(table: str = "x_tweets") -> dict[str, tuple]:
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT r.native_id, s.scorer_version, s.sentiment_label, s.intent, s.language "
            "FROM enrichment.post_scores s JOIN raw.x_tweets r "
            "ON r.native_id = s.native_id AND r.payload_hash = s.payload_hash "
            "WHERE s.source_table = %s ORDER BY s.scored_at", (table,)).fetchall()
    return {(native_id, version): rest for native_id, version, *rest in rows}


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
        label, intent, language = conn.execute(
            "SELECT s.sentiment_label, s.intent, s.language FROM enrichment.post_scores s JOIN raw.x_tweets r "
            "ON r.native_id = s.native_id AND r.payload_hash = s.payload_hash "
            "WHERE r.native_id = '3' ORDER BY r.loaded_seq DESC LIMIT 1"
        ).fetchone()
    assert (label, intent, language) == ("negative", "complaint", "en")


def test_runner_rescores_everything_for_a_new_scorer_version_with_the_batch_path(databases, monkeypatch):
    texts = ["la entrega llega tarde otra vez", "thanks, sorted!", "why is my bill wrong??"] * 40
    with db.connect() as conn:
        land(conn, "x_tweets", [RawRecord(str(i), {"id": str(i), "text": t}) for i, t in enumerate(texts)], "r1")
        conn.commit()
    assert score_new_posts()["x_tweets"] == len(texts)
    monkeypatch.setattr(scorer_module, "SCORER_VERSION", "test-next")
    monkeypatch.setattr(Scorer, "version", "test-next")
    monkeypatch.setattr(scorer_module, "PARALLEL_FROM", 50)
    assert score_new_posts(batch_size=60, workers=2)["x_tweets"] == len(texts)  # pool, two batches
    assert score_new_posts(workers=2)["x_tweets"] == 0
    stored = _stored()
    for i in range(len(texts)):
        old, new = stored[(str(i), SCORER_VERSION)], stored[(str(i), "test-next")]
        assert old == new  # same model, same result: only the version differs
    assert stored[("0", "test-next")][2] == "es"
    assert stored[("2", "test-next")][:2] == ["negative", "complaint"]


def test_the_version_staging_chooses_has_a_score_whatever_landed_last(databases):
    """Two versions of one post read out of order: the newer (10:05) lands first, the older one
    again later. Staging keeps the newer (latest source_updated_at); the score it joins must exist,
    although the older version landed last."""
    import psycopg

    from social360.transform import dbt_runner

    def version(text: str, minute: int) -> RawRecord:
        payload = {"id": "100", "text": text, "author_id": "u1", "created_at": "2026-11-20T10:00:00.000Z",
                   "edit_history_tweet_ids": ["100"]}
        return RawRecord("100", payload, source_updated_at=datetime(2026, 11, 20, 10, minute, tzinfo=UTC),
                         context={"brand_user_id": "b1", "brand_username": "acme"})

    with db.connect() as conn:
        land(conn, "x_tweets", [version("this is awful, still no parcel and no answer", 5)], "r1")
        land(conn, "x_tweets", [version("late parcel, thanks", 0)], "r2")
        conn.commit()
    score_new_posts()
    result = dbt_runner.build(["+int_social_posts"])
    assert result.success, result.summary()
    with psycopg.connect(databases.warehouse_url) as conn:
        [(text, label)] = conn.execute("SELECT post_text, sentiment_label FROM intermediate.int_social_posts "
                                       "WHERE channel = 'twitter'").fetchall()
    assert (text, label) == ("this is awful, still no parcel and no answer", "negative")
