"""The Facebook Graph API extractor against a real local HTTP server speaking the Graph API's
documented shapes: cursor paging until `paging.next` is absent, timestamps (never cursors) as
state, usage-header pacing, throttle codes paused, 190 stopping, 100/33 marking deletions only
while the page itself is still readable, appsecret_proof on every call, retired versions flagged."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import psycopg
import pytest

from extractors import http
from extractors.facebook import graph_api as facebook
from extractors.facebook.graph_api import FacebookDialect, usage
from tests.fakes.fake_api import FakeClock, Reply, routes
from tests.fakes.harness import BRAND_PAGE, cursor, facebook_world, latest, live, raw_rows, reset_raw, run_facebook
from tests.sources.facebook.fake_graph_api import FakeGraphApi


@pytest.fixture
def fake():
    api = FakeGraphApi(FakeClock(), seed=7).start()
    yield api
    api.stop()


def _assert_mirrors_source(url: str, fake: FakeGraphApi) -> None:
    posts = live(url, "facebook_posts")
    comments = live(url, "facebook_comments")
    assert {i: p["message"] for i, p in posts.items()} == {i: p.message for i, p in fake.live_posts().items()}
    assert {i: c["message"] for i, c in comments.items()} == {i: c.message for i, c in fake.live_comments().items()}


def test_posts_and_all_comments_land_with_their_page_and_post(databases, fake):
    facebook_world(fake, posts=3, comments=5)
    results = run_facebook(fake, "run-1")
    assert results[0].status == "ok"
    _assert_mirrors_source(databases.warehouse_url, fake)

    with psycopg.connect(databases.warehouse_url) as conn:
        contexts = dict(conn.execute("SELECT native_id, context FROM raw.facebook_comments").fetchall())
    reply = next(c for c in fake.comments.values() if c.parent_id)
    assert contexts[reply.id] == {"page_id": BRAND_PAGE, "page_name": "Acme", "post_id": reply.post_id}
    assert live(databases.warehouse_url, "facebook_comments")[reply.id]["parent"]["id"] == reply.parent_id
    comment_calls = [r for r in fake.requests if r.path.endswith("/comments")]
    assert comment_calls and all(r.param("filter") == "stream" for r in comment_calls)
    # more comments than one page: the walk followed paging.next
    assert any(r.param("after") for r in comment_calls)

    # state is a timestamp, never a Graph cursor
    state = cursor(databases.warehouse_url, "facebook", BRAND_PAGE)
    assert set(state) == {"synced_at"}
    rows = len(raw_rows(databases.warehouse_url, "facebook_comments"))
    again = run_facebook(fake, "run-2")
    assert again[0].rows_landed == 0 and len(raw_rows(databases.warehouse_url, "facebook_comments")) == rows
    posts_call = [r for r in fake.requests if r.path.endswith("/posts")][-1]
    assert int(posts_call.param("since")) < fake.clock() - 3 * 24 * 3600 + 3600  # since = synced_at - lookback


def test_an_empty_page_that_still_has_next_is_not_the_end(databases, fake):
    facebook_world(fake, posts=1, comments=9)
    original = fake._paged

    def privacy_filtered(request, items):
        reply = original(request, items)
        if request.path.endswith("/comments") and not request.param("after") and "next" in reply.body.get("paging", {}):
            reply.body["data"] = []  # every item of the first page filtered out, but more follow
        return reply

    fake._paged = privacy_filtered
    run_facebook(fake, "run-1")
    fake._paged = original
    first_page = {c.id for c in sorted(fake.live_comments().values(), key=lambda c: (c.created_time, c.id))[:3]}
    stored = live(databases.warehouse_url, "facebook_comments")
    assert len(stored) == len(fake.live_comments()) - len(first_page)
    assert not first_page & set(stored)  # nothing more was lost than the page hid


@pytest.mark.parametrize("code", [4, 17, 32, 341, 613, 80001])
def test_throttle_codes_pause_for_the_time_the_headers_give(databases, fake, code):
    facebook_world(fake, posts=1, comments=2)
    original = fake.fault_reply

    def throttle(fault, request):
        if fault == "throttle":
            from tests.sources.facebook.fake_graph_api import graph_error

            return Reply(400, graph_error(code, f"(#{code}) limit reached"), headers=fake._usage_headers(100, 7))
        return original(fault, request)

    fake.fault_reply = throttle
    fake.schedule(None, "throttle")
    run_facebook(fake, "run-1")
    throttled = next(r for r in fake.requests if r.status == 400)
    retry = fake.requests[fake.requests.index(throttled) + 1]
    assert retry.at - throttled.at >= 7 * 60  # estimated_time_to_regain_access is in minutes
    _assert_mirrors_source(databases.warehouse_url, fake)


def test_usage_headers_slow_down_before_the_limit(databases):
    def world(calls_per_hour):
        api = FakeGraphApi(FakeClock(), seed=8, calls_per_hour=calls_per_hour).start()
        facebook_world(api, posts=3, comments=4)
        return api

    counting = world(10_000)
    try:
        run_facebook(counting, "count")
        calls = len(counting.requests)
    finally:
        counting.stop()
    reset_raw(databases.warehouse_url)

    fake = world(calls)  # exactly enough budget for one run, if it slows down at 85 %
    try:
        run_facebook(fake, "run-1", max_wait=3600)
        assert len(fake.requests) == calls and all(r.status == 200 for r in fake.requests)
        assert any(wait >= 120 for wait in fake.clock.slept)  # paused once usage passed 85 %
        _assert_mirrors_source(databases.warehouse_url, fake)
    finally:
        fake.stop()


def test_usage_parses_every_header_dialect():
    import httpx

    headers = httpx.Headers({
        "X-App-Usage": '{"call_count": 28, "total_time": 25, "total_cputime": 25}',
        "X-Business-Use-Case-Usage": '{"123": [{"type": "pages", "call_count": 91, "total_cputime": 10, '
                                     '"total_time": 12, "estimated_time_to_regain_access": 3}]}',
        "X-Page-Usage": "not json",
    })
    assert usage(headers) == (91.0, 3.0)
    assert usage(httpx.Headers({})) == (0.0, 0.0)
    assert FacebookDialect().pace(httpx.Response(200, headers=headers), 0) == 180.0  # >= 85 %: max(2 min, 3 min)


def test_expired_token_stops_and_keeps_the_state_where_it_was(databases, fake):
    facebook_world(fake, posts=2, comments=3)
    run_facebook(fake, "run-1")
    state = cursor(databases.warehouse_url, "facebook", BRAND_PAGE)
    fake.clock.advance(900)
    fake.add_comment(next(iter(fake.posts)), fake.customers[0], "a new question")
    fake.schedule(None, None, "token_expired")
    with pytest.raises(http.TokenExpired) as info:
        run_facebook(fake, "run-2")
    assert "190" in str(info.value) and "renew" in str(info.value)
    assert sum(1 for r in fake.requests if r.fault == "token_expired") == 1  # not retried
    assert cursor(databases.warehouse_url, "facebook", BRAND_PAGE) == state
    run_facebook(fake, "run-3")
    _assert_mirrors_source(databases.warehouse_url, fake)


def test_a_comment_deleted_mid_walk_kills_the_cursor_and_the_walk_restarts(databases, fake):
    facebook_world(fake, posts=1, comments=8, seed=2)
    post_id = next(iter(fake.posts))
    order = sorted(fake.live_comments().values(), key=lambda c: (c.created_time, c.id))
    boundary = order[2]  # the last item of the first comments page: the "after" cursor points at it
    original = fake._post_comments
    calls = {"n": 0}

    def delete_after_first_page(request, pid):
        calls["n"] += 1
        if calls["n"] == 2:
            fake.delete(boundary.id)
        return original(request, pid)

    fake.route = routes([
        (r"/v24.0/(\d+)/posts", fake._page_posts),
        (r"/v24.0/(\d+_\d+)/comments", delete_after_first_page),
        (r"/v24.0/([\d_]+)", fake._object),
    ])
    run_facebook(fake, "run-1")
    invalid = [r for r in fake.requests if r.status == 400 and r.path.endswith("/comments")]
    assert len(invalid) == 1  # the dead cursor...
    restarted = fake.requests[fake.requests.index(invalid[0]) + 1]
    assert restarted.path.endswith("/comments") and not restarted.param("after")  # ...restarted the walk
    _assert_mirrors_source(databases.warehouse_url, fake)
    versions = latest(databases.warehouse_url, "facebook_comments")
    assert versions[boundary.id][2] is True  # landed on page 1, then confirmed deleted (100/33)
    assert [r.status for r in fake.requests if r.path.endswith(f"/{boundary.id}")] == [400]
    assert post_id in live(databases.warehouse_url, "facebook_posts")


def test_deleted_post_and_its_comments_are_marked_deleted(databases, fake):
    facebook_world(fake, posts=2, comments=3)
    run_facebook(fake, "run-1")
    doomed = sorted(fake.posts)[0]
    doomed_comments = {c.id for c in fake.comments.values() if c.post_id == doomed}
    fake.delete(doomed)
    fake.clock.advance(600)
    run_facebook(fake, "run-2")
    versions = latest(databases.warehouse_url, "facebook_posts")
    assert versions[doomed][2] is True
    comment_versions = latest(databases.warehouse_url, "facebook_comments")
    assert all(comment_versions[c][2] for c in doomed_comments)
    _assert_mirrors_source(databases.warehouse_url, fake)


def test_edited_comment_lands_as_a_new_version(databases, fake):
    facebook_world(fake, posts=1, comments=3)
    run_facebook(fake, "run-1")
    target = sorted(fake.comments.values(), key=lambda c: c.id)[0]
    target.message = "I changed my mind 🙂"
    fake.clock.advance(60)
    run_facebook(fake, "run-2")
    assert live(databases.warehouse_url, "facebook_comments")[target.id]["message"] == "I changed my mind 🙂"
    with psycopg.connect(databases.warehouse_url) as conn:
        versions = conn.execute("SELECT count(*) FROM raw.facebook_comments WHERE native_id = %s", (target.id,)).fetchone()
    assert versions[0] == 2


def test_a_pause_longer_than_a_run_may_wait_stops_cleanly(databases, fake, monkeypatch):
    facebook_world(fake, posts=1, comments=2)
    original = fake.fault_reply

    def long_throttle(fault, request):
        if fault == "throttle":
            from tests.sources.facebook.fake_graph_api import graph_error

            return Reply(400, graph_error(80001, "(#80001) too many calls"), headers=fake._usage_headers(100, 60))
        return original(fault, request)

    fake.fault_reply = long_throttle
    fake.schedule(None, None, "throttle")
    with pytest.raises(http.PausedForRateLimit) as info:
        run_facebook(fake, "run-1", max_wait=900)
    assert info.value.wait_seconds == 3600
    assert cursor(databases.warehouse_url, "facebook", BRAND_PAGE) is None  # nothing claimed as done
    assert len(live(databases.warehouse_url, "facebook_posts")) == 1  # what was read is kept
    with psycopg.connect(databases.warehouse_url) as conn:
        assert conn.execute("SELECT status FROM raw.extract_runs").fetchone()[0] == "paused"


def test_bad_content_lands_intact(databases, fake):
    facebook_world(fake, posts=1, comments=0)
    post_id = next(iter(fake.posts))
    texts = ["😡 where is my order 📦", "הזמנה שלי לא הגיעה", "null\x00byte", "y" * 10_000, ""]
    for text in texts:
        fake.add_comment(post_id, ("901", "Fan"), text)
    run_facebook(fake, "run-1")
    stored = sorted(c["message"] for c in live(databases.warehouse_url, "facebook_comments").values())
    assert stored == sorted(t.replace("\x00", "\ufffd") for t in texts)


def test_settings_require_pages_and_a_token():
    from extractors.source_settings import SourceConfigError, SourceSettings

    with pytest.raises(SourceConfigError, match="page_ids"):
        facebook.FacebookConfig.from_settings(SourceSettings("facebook", secret="t"))
    with pytest.raises(SourceConfigError, match="access token"):
        facebook.client_for(SourceSettings("facebook", extra={"page_ids": "1"}))


# --- appsecret_proof -------------------------------------------------------------------------------

APP_SECRET = "app-s3cret-0f9e"


def test_every_call_carries_the_appsecret_proof_when_the_app_requires_it(databases, caplog, monkeypatch):
    fake = FakeGraphApi(FakeClock(), seed=7, app_secret=APP_SECRET).start()
    try:
        facebook_world(fake, posts=2, comments=4)
        # An Airflow test earlier in the session may have reconfigured logging (httpx at WARNING or disabled).
        monkeypatch.setattr(logging.getLogger("httpx"), "disabled", False)
        caplog.set_level(logging.DEBUG)
        caplog.set_level(logging.DEBUG, logger="httpx")
        results = run_facebook(fake, "run-1", settings={"app_secret": APP_SECRET})
        assert results[0].status == "ok"
        expected = hmac.new(APP_SECRET.encode(), fake.token.encode(), hashlib.sha256).hexdigest()
        assert fake.requests and all(r.param("appsecret_proof") == expected for r in fake.requests)
        assert any(r.param("after") for r in fake.requests)  # next-page URLs (the API leaves the proof out) too
        _assert_mirrors_source(databases.warehouse_url, fake)
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "HTTP Request" in logged  # httpx logged the calls...
        assert expected not in logged and APP_SECRET not in logged  # ...with the proof masked
    finally:
        fake.stop()


def test_a_missing_app_secret_stops_with_an_error_that_says_what_to_set(databases):
    fake = FakeGraphApi(FakeClock(), seed=7, app_secret=APP_SECRET).start()
    try:
        facebook_world(fake, posts=1, comments=1)
        with pytest.raises(http.StopSource, match="app_secret") as info:
            run_facebook(fake, "run-1")
        assert "appsecret_proof" in str(info.value)
        assert len(fake.requests) == 1  # not retried
        with pytest.raises(http.StopSource, match="Invalid appsecret_proof"):
            run_facebook(fake, "run-2", settings={"app_secret": "a-different-secret"})
        with psycopg.connect(databases.warehouse_url) as conn:
            messages = [m for (m,) in conn.execute("SELECT message FROM raw.extract_runs")]
        assert messages and not any("a-different-secret" in m for m in messages)
    finally:
        fake.stop()


def test_redact_masks_the_appsecret_proof():
    url = "https://graph.facebook.com/v24.0/1/posts?limit=3&appsecret_proof=abc123&access_token=EAAB"
    assert "abc123" not in http.redact(url) and "EAAB" not in http.redact(url)


# --- 100/33 is "deleted" only while the page is readable --------------------------------------------


def _deleted_versions(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT native_id FROM raw.facebook_posts WHERE is_deleted UNION ALL "
                            "SELECT native_id FROM raw.facebook_comments WHERE is_deleted").fetchall()


def test_a_permission_lost_mid_run_stops_the_source_and_deletes_nothing(databases, monkeypatch, caplog):
    fake = FakeGraphApi(FakeClock(real=True), seed=7).start()  # the pipeline's client keeps real time
    try:
        _permission_lost_mid_run(databases, fake, monkeypatch, caplog)
    finally:
        fake.stop()


def _permission_lost_mid_run(databases, fake, monkeypatch, caplog):
    facebook_world(fake, posts=3, comments=3)
    run_facebook(fake, "run-1")
    original = fake._page_posts

    def revoke_after_listing(request, page_id):
        reply = original(request, page_id)
        fake.revoke(page_id)  # the page's role was taken from the token's user while we read
        return reply

    fake._dispatch = routes([
        (r"/v24.0/(\d+)/posts", revoke_after_listing),
        (r"/v24.0/(\d+_\d+)/comments", fake._post_comments),
        (r"/v24.0/([\d_]+)", fake._object),
    ])
    monkeypatch.setenv("AIRFLOW_CONN_SOCIAL360_FACEBOOK", json.dumps({
        "conn_type": "http", "host": fake.url, "password": fake.token,
        "extra": {"page_ids": BRAND_PAGE, "page_size": 3}}))
    monkeypatch.delenv("AIRFLOW_CTX_TASK_ID", raising=False)
    caplog.set_level(logging.ERROR, logger="social360.core.alerts")
    from social360.orchestration import stages as pipeline

    with pytest.raises(http.Forbidden, match="permission"):
        pipeline.extract_social_source("facebook", "run-2")
    assert _deleted_versions(databases.warehouse_url) == []  # 100/33 everywhere, yet nothing marked deleted
    assert any("forbidden" in r.getMessage() and "ALERT" in r.getMessage() for r in caplog.records)
    with psycopg.connect(databases.warehouse_url) as conn:
        assert conn.execute("SELECT status FROM raw.extract_runs WHERE run_id = 'run-2'").fetchone()[0] == "forbidden"
    page_reads = [r for r in fake.requests if r.path == f"/v24.0/{BRAND_PAGE}"]
    assert len(page_reads) >= 2  # the run's first read, and the check after the first 100/33


def test_a_page_unreadable_from_the_start_is_forbidden_not_missing(databases, fake):
    facebook_world(fake, posts=1, comments=1)
    run_facebook(fake, "run-1")
    fake.revoke(BRAND_PAGE)
    with pytest.raises(http.Forbidden):
        run_facebook(fake, "run-2")
    assert _deleted_versions(databases.warehouse_url) == []


# --- retired Graph versions ------------------------------------------------------------------------


def test_a_retired_version_still_extracts_and_is_flagged_with_an_alert(databases, monkeypatch, caplog):
    from datetime import date

    from extractors.facebook import graph_versions

    oldest = graph_versions.oldest_supported(date.today())
    fake = FakeGraphApi(FakeClock(real=True), seed=7, oldest_version=oldest).start()  # real time, like the pipeline
    try:
        _retired_version(databases, fake, monkeypatch, caplog, oldest)
    finally:
        fake.stop()


def _retired_version(databases, fake, monkeypatch, caplog, oldest):
    facebook_world(fake, posts=2, comments=2)
    monkeypatch.setenv("AIRFLOW_CONN_SOCIAL360_FACEBOOK", json.dumps({
        "conn_type": "http", "host": fake.url, "password": fake.token,
        "extra": {"page_ids": BRAND_PAGE, "page_size": 3, "api_version": "v19.0"}}))
    monkeypatch.delenv("AIRFLOW_CTX_TASK_ID", raising=False)
    caplog.set_level(logging.WARNING)
    from social360.orchestration import stages as pipeline

    outcome = pipeline.extract_social_source("facebook", "run-1")
    assert outcome["status"] == "ok"
    assert all(r.path.startswith("/v19.0/") for r in fake.requests)  # the API served them with `oldest`
    assert {r.reply_headers["facebook-api-version"] for r in fake.requests} == {oldest}
    _assert_mirrors_source(databases.warehouse_url, fake)
    with psycopg.connect(databases.warehouse_url) as conn:
        status, message = conn.execute("SELECT status, message FROM raw.extract_runs").fetchone()
    assert status == "api_version_retired"
    assert "v19.0" in message and "2026-05-21" in message and oldest in message
    alerts = [r.getMessage() for r in caplog.records if r.name == "social360.core.alerts"]
    assert any("v19.0" in a and "ALERT" in a for a in alerts)


def test_a_version_retired_before_the_table_says_is_caught_by_the_answering_version(databases):
    fake = FakeGraphApi(FakeClock(), seed=7, oldest_version="v25.0").start()  # Meta retired v24.0 early
    try:
        facebook_world(fake, posts=1, comments=1)
        result = run_facebook(fake, "run-1")[0]
        assert result.status == "api_version_retired"
        assert "v24.0 was asked for but v25.0 answered" in result.message
        _assert_mirrors_source(databases.warehouse_url, fake)
    finally:
        fake.stop()


def test_a_supported_version_raises_no_warning(databases, fake):
    facebook_world(fake, posts=1, comments=1)
    results = run_facebook(fake, "run-1")
    assert results[0].status == "ok" and results[0].message is None


def test_the_version_table_knows_what_is_retired_on_a_date():
    from datetime import date

    from extractors.facebook import graph_versions

    assert graph_versions.oldest_supported(date(2026, 11, 20)) == "v21.0"
    assert graph_versions.oldest_supported(date(2026, 9, 23)) == "v20.0"
    assert graph_versions.retired("v19.0", date(2026, 11, 20))
    assert not graph_versions.retired("v24.0", date(2026, 11, 20))
    assert graph_versions.retired("v2.9", date(2026, 11, 20))  # older than anything in the table
    assert not graph_versions.retired("v27.0", date(2026, 11, 20))  # newer than the table: not ours to judge
