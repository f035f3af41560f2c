"""The X API v2 extractor against a real local HTTP server speaking X's documented shapes:
incremental since_id polling, pacing from x-rate-limit-* headers, 429s waited out, usage caps
and expired tokens stopping the source, edits and deletions recorded, protected and suspended
authors' posts leaving the marts, the 2026 `post.*` spelling, and the mentions timeline's
800-post reach flagged when a poll may have outrun it."""

from __future__ import annotations

import json
import logging

import psycopg
import pytest

from extractors import http
from social360.orchestration import stages as pipeline
from tests.fakes.fake_api import FakeClock
from tests.fakes.harness import BRAND_X, X_VERSIONS, cursor, latest, live, raw_rows, run_x, x_world
from tests.sources.x.fake_x_api import FakeXApi


@pytest.fixture
def fake():
    api = FakeXApi(FakeClock(), seed=3).start()
    yield api
    api.stop()


def _source_ids(fake: FakeXApi) -> dict[str, str]:
    """Original id -> latest version id of every tweet the brand's streams can see."""
    chains = {t.history[0]: t.id for t in fake.timeline(BRAND_X, "mentions") + fake.timeline(BRAND_X, "tweets")}
    return chains


def test_mentions_and_brand_replies_land_once_with_their_context(databases, fake):
    x_world(fake, mentions=12, reply_every=2)
    results = run_x(fake, "run-1")
    assert [r.status for r in results] == ["ok", "ok"]
    stored = live(databases.warehouse_url, "x_tweets", **X_VERSIONS)
    assert {k: v["id"] for k, v in stored.items()} == _source_ids(fake)
    assert len(stored) == 12 + 6

    with psycopg.connect(databases.warehouse_url) as conn:
        contexts = dict(conn.execute("SELECT native_id, context FROM raw.x_tweets").fetchall())
    mention = next(t for t in fake.timeline(BRAND_X, "mentions"))
    assert contexts[mention.id]["brand_user_id"] == BRAND_X
    assert contexts[mention.id]["brand_username"] == "acme_support"
    assert contexts[mention.id]["stream"] == "mentions"
    assert contexts[mention.id]["author"]["username"] == fake.users[mention.author_id]["username"]
    assert contexts[mention.id]["author"]["public_metrics"]["followers_count"] >= 0
    timeline_calls = [r for r in fake.requests if r.path == f"/2/users/{BRAND_X}/tweets"]
    assert timeline_calls and all(r.param("exclude") == "retweets" for r in timeline_calls)
    reply = fake.timeline(BRAND_X, "tweets")[0]
    assert stored[reply.id]["referenced_tweets"] == [{"type": "replied_to", "id": reply.replied_to}]
    assert stored[reply.id]["conversation_id"] == fake.versions[reply.replied_to].conversation_id

    # the cursor is the newest id of the first page; a second run reads only what is newer
    state = cursor(databases.warehouse_url, "x", f"{BRAND_X}:mentions")
    assert state["since_id"] == fake.timeline(BRAND_X, "mentions")[0].id
    before = len(raw_rows(databases.warehouse_url, "x_tweets"))
    fake.requests.clear()
    again = run_x(fake, "run-2")
    assert sum(r.rows_landed for r in again) == 0
    assert len(raw_rows(databases.warehouse_url, "x_tweets")) == before
    polls = [r for r in fake.requests if r.path.endswith("/mentions") and r.param("since_id")]
    assert polls and polls[0].param("since_id") == state["since_id"]

    fake.clock.advance(60)
    new = fake.post("201", "@acme_support still broken", mentions=(BRAND_X,))
    third = run_x(fake, "run-3")
    assert third[0].rows_landed == 1
    assert cursor(databases.warehouse_url, "x", f"{BRAND_X}:mentions")["since_id"] == new.id


def test_cursor_moves_only_after_the_last_page_is_stored(databases, fake):
    x_world(fake, mentions=14)
    # page 1 and 2 of the mentions walk succeed, then the token is rejected
    fake.schedule(None, None, None, "token_expired")
    with pytest.raises(http.TokenExpired):
        run_x(fake, "run-1")
    assert cursor(databases.warehouse_url, "x", f"{BRAND_X}:mentions") is None
    partial = live(databases.warehouse_url, "x_tweets")
    assert len(partial) == 10  # two pages of five landed and stay

    run_x(fake, "run-2")
    stored = live(databases.warehouse_url, "x_tweets", **X_VERSIONS)
    assert {k: v["id"] for k, v in stored.items()} == _source_ids(fake)
    assert len(raw_rows(databases.warehouse_url, "x_tweets")) == len(stored)  # nothing landed twice


def test_a_mention_arriving_mid_walk_is_read_by_the_next_run(databases, fake):
    x_world(fake, mentions=14)
    fake.schedule(None, None, "insert")  # while the client reads page 2, someone mentions the brand
    run_x(fake, "run-1")
    newest = max(fake.timeline(BRAND_X, "mentions"), key=lambda t: int(t.id))
    stored = live(databases.warehouse_url, "x_tweets", **X_VERSIONS)
    assert newest.id not in stored  # not on any page of this walk...
    assert int(cursor(databases.warehouse_url, "x", f"{BRAND_X}:mentions")["since_id"]) < int(newest.id)
    run_x(fake, "run-2")
    assert newest.id in live(databases.warehouse_url, "x_tweets", **X_VERSIONS)  # ...but never skipped


def test_429_waits_until_the_reset_in_the_headers(databases, fake):
    x_world(fake, mentions=6)
    fake.schedule(None, None, "throttle")
    run_x(fake, "run-1")
    throttled = next(r for r in fake.requests if r.status == 429)
    retry = fake.requests[fake.requests.index(throttled) + 1]
    reset = int(throttled.reply_headers["x-rate-limit-reset"])
    assert retry.at >= reset  # the client slept until the window reset, then retried
    assert retry.status == 200
    assert live(databases.warehouse_url, "x_tweets", **X_VERSIONS).keys() == _source_ids(fake).keys()


def test_a_spent_window_paces_the_next_request_without_a_429(databases):
    fake = FakeXApi(FakeClock(), seed=4, window_limit=3).start()
    try:
        x_world(fake, mentions=20)
        run_x(fake, "run-1", rehydrate_hours=0, max_wait=2000)
        assert all(r.status == 200 for r in fake.requests)
        mentions = [r for r in fake.requests if r.path.endswith("/mentions")]
        assert len(mentions) == 4
        # requests 1-3 spend the window; the 4th waits for the reset the 3rd response announced
        assert mentions[3].at - mentions[0].at >= fake.window_seconds - 1
    finally:
        fake.stop()


def test_real_sleep_honours_a_short_reset(databases):
    fake = FakeXApi(FakeClock(real=True), seed=5).start()
    try:
        x_world(fake, mentions=3)
        fake.throttle_resets = [1]
        fake.schedule(None, None, "throttle")
        run_x(fake, "run-1", rehydrate_hours=0)
        throttled = next(r for r in fake.requests if r.status == 429)
        retry = fake.requests[fake.requests.index(throttled) + 1]
        assert retry.at - throttled.at >= 0.9  # really waited for the reset (epoch-second precision)
        assert fake.clock.slept and fake.clock.slept[0] >= 0.9
    finally:
        fake.stop()


def test_usage_cap_stops_the_source_with_an_alert_and_no_retry(databases, fake, monkeypatch, caplog):
    x_world(fake, mentions=8)
    monkeypatch.setenv("AIRFLOW_CONN_SOCIAL360_X", json.dumps(
        {"conn_type": "http", "host": fake.url, "password": fake.token,
         "extra": {"brand_user_ids": BRAND_X, "page_size": 5}}))
    monkeypatch.delenv("AIRFLOW_CTX_TASK_ID", raising=False)
    fake.schedule(None, "usage_capped")
    caplog.set_level(logging.ERROR, logger="social360.core.alerts")
    with pytest.raises(http.UsageCapped):
        pipeline.extract_social_source("x", "run-1")
    assert len(fake.requests) == 2  # the capped 429 is not retried
    assert fake.requests[1].status == 429
    assert any("usage_capped" in r.getMessage() and "ALERT" in r.getMessage() for r in caplog.records)
    with psycopg.connect(databases.warehouse_url) as conn:
        status = conn.execute("SELECT status, message FROM raw.extract_runs").fetchall()
    assert status[0][0] == "usage_capped" and "cap" in status[0][1]


def test_edits_and_deletions_are_recorded_not_lost(databases, fake):
    x_world(fake, mentions=8)
    run_x(fake, "run-1")
    mentions = fake.timeline(BRAND_X, "mentions")
    edited, deleted = mentions[2], mentions[4]
    fake.clock.advance(120)
    new_version = fake.edit(edited.id, "@acme_support problem (edited: it is worse)")
    fake.delete(deleted.id)
    fake.clock.advance(120)
    run_x(fake, "run-2")

    versions = latest(databases.warehouse_url, "x_tweets", **X_VERSIONS)
    native_id, payload, is_deleted = versions[edited.id]
    assert native_id == new_version.id and not is_deleted
    assert payload["text"].endswith("(edited: it is worse)")
    assert payload["edit_history_tweet_ids"] == [edited.id, new_version.id]
    native_id, payload, is_deleted = versions[deleted.id]
    assert is_deleted and payload["text"] == deleted.text  # the last known content, marked deleted
    with psycopg.connect(databases.warehouse_url) as conn:
        kept = conn.execute("SELECT count(*) FROM raw.x_tweets WHERE native_id = %s", (deleted.id,)).fetchone()[0]
    assert kept == 2  # the original version is kept beside the deletion


def test_server_errors_timeouts_and_truncated_json_are_retried(databases, fake):
    x_world(fake, mentions=10)
    fake.schedule(None, "server_error", None, "timeout", "truncated", None, "server_error", "truncated")
    run_x(fake, "run-1")
    assert {k: v["id"] for k, v in live(databases.warehouse_url, "x_tweets", **X_VERSIONS).items()} == _source_ids(fake)
    assert {r.fault for r in fake.requests} >= {"server_error", "timeout", "truncated"}


def test_bad_content_lands_intact_or_with_a_recorded_normalization(databases, fake):
    x_world(fake, mentions=1)
    texts = {
        "emoji": "@acme_support 😡😡 my 📦 never came 🙃",
        "rtl": "@acme_support הזמנה שלי לא הגיעה - متى يصل الطلب؟",
        "nul": "@acme_support broken\x00byte",
        "long": "@acme_support " + "x" * 10_000,
    }
    posted = {name: fake.post("200", text, mentions=(BRAND_X,)) for name, text in texts.items()}
    bare = fake.post("201", "@acme_support no optional fields", mentions=(BRAND_X,))
    bare.lang = None
    bare.conversation_id = None
    run_x(fake, "run-1")
    with psycopg.connect(databases.warehouse_url) as conn:
        rows = {n: (p, c) for n, p, c in conn.execute("SELECT native_id, payload, context FROM raw.x_tweets")}
    for name in ("emoji", "rtl", "long"):
        assert rows[posted[name].id][0]["text"] == texts[name]
    payload, context = rows[posted["nul"].id]
    assert payload["text"] == "@acme_support broken\ufffdbyte"
    assert context["normalizations"] == ["nul_replaced_by_fffd"]
    assert "lang" not in rows[bare.id][0] and "conversation_id" not in rows[bare.id][0]


def test_unknown_fields_are_kept_as_received(databases, fake):
    x_world(fake, mentions=2)
    original = fake.timeline(BRAND_X, "mentions")[0]
    real_json = type(original).as_json

    def with_new_field(self, fields, naming="tweet"):
        return {**real_json(self, fields, naming), "community_note": {"text": "a field from a newer API version"}}

    type(original).as_json = with_new_field
    try:
        run_x(fake, "run-1")
    finally:
        type(original).as_json = real_json
    stored = live(databases.warehouse_url, "x_tweets")
    assert stored[original.id]["community_note"] == {"text": "a field from a newer API version"}


# --- protected and suspended authors ----------------------------------------------------------------


def test_posts_of_protected_and_suspended_authors_land_as_no_longer_visible(databases, fake):
    x_world(fake, mentions=8, customers=4)
    run_x(fake, "run-1")
    fake.protect("200")
    fake.suspend("201")
    fake.clock.advance(120)
    run_x(fake, "run-2")
    versions = latest(databases.warehouse_url, "x_tweets", **X_VERSIONS)
    with psycopg.connect(databases.warehouse_url) as conn:
        reasons = dict(conn.execute("SELECT native_id, context ->> 'deleted_detected_by' FROM raw.x_tweets "
                                    "WHERE is_deleted").fetchall())
    for author, problem in (("200", "not-authorized-for-resource"), ("201", "resource-unavailable")):
        theirs = [t for t in fake.live_tweets().values() if t.author_id == author]
        assert theirs, author
        for tweet in theirs:
            assert versions[tweet.history[0]][2] is True  # out of the marts
            assert problem in reasons[tweet.id]
    others = [t for t in fake.live_tweets().values() if t.author_id not in ("200", "201")]
    assert others and not any(versions[t.history[0]][2] for t in others)


# --- user lookup in batches of 100, page_size checked -------------------------------------------


def test_more_than_100_brand_accounts_are_looked_up_100_at_a_time(databases, fake):
    brands = [str(10_000 + i) for i in range(150)]
    for i, brand in enumerate(brands):
        fake.add_user(brand, f"brand{i}")
    results = run_x(fake, "run-1", brand_user_ids=",".join(brands), page_size=100, rehydrate_hours=0)
    assert len(results) == 300 and {r.status for r in results} == {"ok"}
    lookups = [r for r in fake.requests if r.path == "/2/users"]
    assert [len(r.param("ids").split(",")) for r in lookups] == [100, 50]
    with psycopg.connect(databases.warehouse_url) as conn:
        streams = {c for (c,) in conn.execute("SELECT DISTINCT stream FROM raw.extract_runs")}
    assert len(streams) == 300


@pytest.mark.parametrize("size, ok", [("4", False), ("5", True), ("100", True), ("101", False), ("ten", False),
                                      ("50.5", False)])
def test_page_size_must_be_what_max_results_accepts(size, ok):
    from extractors.source_settings import SourceConfigError, SourceSettings
    from extractors.x import x_api

    settings = SourceSettings("x", secret="t", extra={"brand_user_ids": "1", "page_size": size})
    if ok:
        assert x_api.XConfig.from_settings(settings).page_size == int(size)
    else:
        with pytest.raises(SourceConfigError, match=r"page_size.*5.*100"):
            x_api.XConfig.from_settings(settings)


# --- the 2026 spelling: post.fields, edit_history_post_ids, referenced_posts, note_post -------------


def test_the_post_spelling_is_requested_when_configured_and_read_in_responses(databases):
    fake = FakeXApi(FakeClock(), seed=3, naming="post").start()
    try:
        x_world(fake, mentions=6)
        with pytest.raises(http.BadRequest, match="tweet.fields"):  # the default name, refused by this API
            run_x(fake, "run-0")
        run_x(fake, "run-1", fields_parameter="post.fields")
        fields_calls = [r for r in fake.requests if r.path != "/2/users" and r.param("post.fields")]
        assert fields_calls and "referenced_posts" in fields_calls[0].param("post.fields")
        mentions = fake.timeline(BRAND_X, "mentions")
        edited, deleted = mentions[1], mentions[3]
        fake.clock.advance(120)
        new_version = fake.edit(edited.id, "@acme_support problem (edited)")
        fake.delete(deleted.id)
        fake.clock.advance(120)
        run_x(fake, "run-2", fields_parameter="post.fields")
        versions = latest(databases.warehouse_url, "x_tweets", **X_VERSIONS)
        assert versions[edited.id][0] == new_version.id and not versions[edited.id][2]
        assert versions[edited.id][1]["edit_history_post_ids"] == [edited.id, new_version.id]
        assert versions[deleted.id][2] is True  # re-hydration read the chains under their new name
        reply = fake.timeline(BRAND_X, "tweets")[0]
        assert versions[reply.id][1]["referenced_posts"] == [{"type": "replied_to", "id": reply.replied_to}]
    finally:
        fake.stop()


def test_fields_parameter_is_checked():
    from extractors.source_settings import SourceConfigError, SourceSettings
    from extractors.x import x_api

    with pytest.raises(SourceConfigError, match="fields_parameter"):
        x_api.XConfig.from_settings(SourceSettings("x", secret="t", extra={"brand_user_ids": "1",
                                                                          "fields_parameter": "posts.fields"}))
    config = x_api.XConfig.from_settings(SourceSettings("x", secret="t", extra={"brand_user_ids": "1"}))
    assert config.fields_parameter == "tweet.fields" and "edit_history_tweet_ids" in config.tweet_fields
    config = x_api.XConfig.from_settings(SourceSettings("x", secret="t", extra={"brand_user_ids": "1",
                                                                               "fields_parameter": "post.fields"}))
    assert "edit_history_post_ids" in config.tweet_fields and "note_post" in config.tweet_fields
    assert "_tweet" not in config.tweet_fields


# --- the mentions timeline reaches the newest 800 only -----------------------------------------------


def test_a_poll_that_reaches_the_800_mention_limit_records_and_alerts_a_possible_gap(databases, monkeypatch, caplog):
    fake = FakeXApi(FakeClock(real=True), seed=6, window_limit=10_000).start()  # the pipeline's client: real time
    try:
        x_world(fake, mentions=4)
        monkeypatch.setenv("AIRFLOW_CONN_SOCIAL360_X", json.dumps({
            "conn_type": "http", "host": fake.url, "password": fake.token,
            "extra": {"brand_user_ids": BRAND_X, "page_size": 100, "rehydrate_hours": 0, "lookback_minutes": 0}}))
        monkeypatch.delenv("AIRFLOW_CTX_TASK_ID", raising=False)
        first = pipeline.extract_social_source("x", "run-1")
        assert {s["status"] for s in first["streams"]} == {"ok"}
        since = cursor(databases.warehouse_url, "x", f"{BRAND_X}:mentions")["since_id"]

        burst = [fake.post(str(200 + i % 4), f"@acme_support outage report {i}", mentions=(BRAND_X,))
                 for i in range(850)]  # more mentions between two polls than the timeline reaches
        caplog.set_level(logging.ERROR, logger="social360.core.alerts")
        second = pipeline.extract_social_source("x", "run-2")
        mentions = next(s for s in second["streams"] if s["stream"] == f"{BRAND_X}:mentions")
        assert mentions["status"] == "possible_gap"
        assert mentions["rows_landed"] == 800  # what the API served is kept
        state = cursor(databases.warehouse_url, "x", f"{BRAND_X}:mentions")
        assert state["since_id"] == burst[-1].id  # and the cursor moves on
        with psycopg.connect(databases.warehouse_url) as conn:
            status, message = conn.execute(
                "SELECT status, message FROM raw.extract_runs WHERE run_id = 'run-2' AND stream = %s",
                (f"{BRAND_X}:mentions",)).fetchone()
        assert status == "possible_gap" and "800" in message and since in message
        assert burst[50].id in message  # the oldest mention read: the gap lies between since_id and it
        assert any("possible_gap" in r.getMessage() and "ALERT" in r.getMessage() for r in caplog.records)
        brand_tweets = next(s for s in second["streams"] if s["stream"] == f"{BRAND_X}:brand_tweets")
        assert brand_tweets["status"] == "ok"
    finally:
        fake.stop()


def test_the_post_spelling_flows_through_staging_and_the_scorer(databases):
    """Extract with the 2026 names, score with the real scorer, build staging with real dbt."""
    from enrichment.warehouse_scoring import score_new_posts
    from social360.transform import dbt_runner

    fake = FakeXApi(FakeClock(), seed=3, naming="post").start()
    try:
        x_world(fake, mentions=3)
        long = fake.post("200", "@acme_support thanks for the quick", mentions=(BRAND_X,))
        long.note = ("@acme_support thanks for the quick reply... NOT. Three weeks, no parcel, nobody answers: this "
                     "is the worst, awful service and I want a refund")
        answer = fake.post(BRAND_X, "@customer0 so sorry, refund on its way", reply_to=long.id)
        run_x(fake, "run-1", fields_parameter="post.fields")
        fake.clock.advance(120)
        edited = fake.edit(long.id, long.text + "!")
        edited.note = long.note + "!"
        run_x(fake, "run-2", fields_parameter="post.fields")
        scored = score_new_posts()
        assert scored["x_tweets"] > 0
        result = dbt_runner.build(["+int_social_posts"])  # with stg_x__tweets' unit tests
        assert result.success, result.summary()
        with psycopg.connect(databases.warehouse_url) as conn:
            rows = {r[0]: r[1:] for r in conn.execute(
                "SELECT tweet_id, latest_version_id, in_reply_to_tweet_id, tweet_text FROM staging.stg_x__tweets")}
            sentiment = dict(conn.execute(
                "SELECT post_id, sentiment_label FROM intermediate.int_social_posts WHERE channel = 'twitter'"))
        assert rows[long.id][0] == edited.id  # one row per chain, keyed on edit_history_post_ids[0]
        assert rows[long.id][2] == edited.note  # note_post: the full text
        assert rows[answer.id][1] == long.id  # referenced_posts: the post it answers
        assert sentiment[long.id] == "negative"  # the scorer read note_post, not the cut text ("thanks")
    finally:
        fake.stop()
