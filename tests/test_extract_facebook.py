"""The Facebook Graph API extractor against a real local HTTP server speaking the Graph API's
documented shapes: cursor paging until `paging.next` is absent, timestamps (never cursors) as
state, usage-header pacing, throttle codes paused, 190 stopping, 100/33 marking deletions."""

from __future__ import annotations

import psycopg
import pytest

from extractors import facebook, http
from extractors.facebook import FacebookDialect, usage
from tests.fakes.base import FakeClock, Reply, routes
from tests.fakes.facebook import FakeGraphApi
from tests.fakes.harness import BRAND_PAGE, cursor, facebook_world, latest, live, raw_rows, reset_raw, run_facebook


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


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_throttle_codes_pause_for_the_time_the_headers_give(databases, fake, code):
    facebook_world(fake, posts=1, comments=2)
    original = fake.fault_reply

    def throttle(fault, request):
        if fault == "throttle":
            from tests.fakes.facebook import graph_error

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
            from tests.fakes.facebook import graph_error

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
    from extractors.sources import SourceConfigError, SourceSettings

    with pytest.raises(SourceConfigError, match="page_ids"):
        facebook.FacebookConfig.from_settings(SourceSettings("facebook", secret="t"))
    with pytest.raises(SourceConfigError, match="access token"):
        facebook.client_for(SourceSettings("facebook", extra={"page_ids": "1"}))
