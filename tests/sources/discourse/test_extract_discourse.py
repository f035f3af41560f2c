"""The Discourse extractor against a real local HTTP server speaking Discourse's documented
shapes: `/posts.json` walked down by `before` to the stored max id, Retry-After honoured,
edits and deletions of recent posts seen, bad keys stopping the source, a post the key may no
longer see (403 on that post alone) landing as no longer visible."""

from __future__ import annotations

from datetime import UTC

import psycopg
import pytest

from extractors import http
from extractors.discourse import discourse_api as discourse
from tests.fakes.fake_api import FakeClock, Reply
from tests.fakes.harness import (
    client_kwargs,
    cursor,
    discourse_settings,
    discourse_world,
    latest,
    live,
    raw_rows,
    run_discourse,
)
from tests.sources.discourse.fake_discourse import FakeDiscourse


@pytest.fixture
def fake():
    api = FakeDiscourse(FakeClock(), seed=11, page_size=5).start()
    yield api
    api.stop()


def _assert_mirrors_source(url: str, fake: FakeDiscourse) -> None:
    stored = live(url, "discourse_posts")
    assert {int(i): p["raw"] for i, p in stored.items()} == {i: p.raw for i, p in fake.live_posts().items()}


def test_posts_land_and_the_next_run_walks_only_down_to_the_stored_max(databases, fake):
    discourse_world(fake, topics=4, replies=5)
    run_discourse(fake, "run-1")
    _assert_mirrors_source(databases.warehouse_url, fake)
    walked = [r for r in fake.requests if r.path == "/posts.json"]
    assert len(walked) == 6  # 24 posts, 5 a page, then the empty page past the oldest
    state = cursor(databases.warehouse_url, "discourse", "community:posts")
    assert state["max_id"] == max(fake.posts)

    with psycopg.connect(databases.warehouse_url) as conn:
        context = conn.execute("SELECT context FROM raw.discourse_posts LIMIT 1").fetchone()[0]
    assert context["forum"] == "community" and context["brand_usernames"] == ["acme_team"]
    assert all(r.headers.get("api-key") == fake.api_key for r in fake.requests)

    fake.clock.advance(2 * 24 * 3600)
    fake.requests.clear()
    assert run_discourse(fake, "run-2")[0].rows_landed == 0  # re-reads the window before run-1's poll
    assert len([r for r in fake.requests if r.path == "/posts.json"]) == 6

    fake.clock.advance(600)  # run-2 polled two days after run-1: the old posts are out of its window
    topic = sorted(fake.topics)[0]
    new = [fake.reply(topic, "member1", f"me too {i}") for i in range(3)]
    fake.requests.clear()
    result = run_discourse(fake, "run-3")[0]
    assert result.rows_landed == 3
    pages = [r for r in fake.requests if r.path == "/posts.json"]
    assert len(pages) == 1 and pages[0].param("before") is None  # the first page reached the stored max
    assert cursor(databases.warehouse_url, "discourse", "community:posts")["max_id"] == new[-1].id
    _assert_mirrors_source(databases.warehouse_url, fake)


def test_retry_after_is_honoured(databases, fake):
    discourse_world(fake, topics=2, replies=3)
    fake.schedule(None, "throttle")
    run_discourse(fake, "run-1")
    throttled = next(r for r in fake.requests if r.status == 429)
    asked = int(throttled.reply_headers["Retry-After"])
    retry = fake.requests[fake.requests.index(throttled) + 1]
    assert retry.at - throttled.at >= asked
    _assert_mirrors_source(databases.warehouse_url, fake)


def test_wait_seconds_in_the_body_when_there_is_no_retry_after_header(databases, fake):
    discourse_world(fake, topics=1, replies=2)
    original = fake.fault_reply

    def body_only(fault, request):
        reply = original(fault, request)
        if fault == "throttle":
            reply.headers.pop("Retry-After")
            reply.body["extras"]["wait_seconds"] = 42
        return reply

    fake.fault_reply = body_only
    fake.schedule("throttle")
    run_discourse(fake, "run-1")
    assert fake.requests[1].at - fake.requests[0].at >= 42


def test_a_bad_key_stops_the_source_without_retrying(databases, fake):
    discourse_world(fake, topics=1, replies=2)
    settings = discourse_settings(fake)
    fake.api_key = "rotated"  # the key in the connection was revoked
    with pytest.raises(http.TokenExpired, match="renew the key"):
        discourse.extract("run-1", settings, **client_kwargs(fake.clock, min_interval=0))
    assert len(fake.requests) == 1
    assert cursor(databases.warehouse_url, "discourse", "community:posts") is None


def test_bad_gateway_pages_and_truncated_json_are_retried(databases, fake):
    discourse_world(fake, topics=2, replies=4)
    fake.schedule(None, "server_error", "truncated", None, "timeout", "server_error")
    run_discourse(fake, "run-1")
    _assert_mirrors_source(databases.warehouse_url, fake)
    assert {r.fault for r in fake.requests} >= {"server_error", "truncated", "timeout"}


def test_edits_and_deletions_of_recent_posts_are_seen(databases, fake):
    discourse_world(fake, topics=3, replies=3)
    run_discourse(fake, "run-1")
    ids = sorted(fake.posts)
    edited, deleted = fake.posts[ids[3]], ids[5]
    fake.clock.advance(600)
    edited.raw += " (edited)"
    edited.version += 1
    edited.updated_at = fake.clock.now()
    fake.deleted.add(deleted)
    run_discourse(fake, "run-2")
    _assert_mirrors_source(databases.warehouse_url, fake)
    versions = latest(databases.warehouse_url, "discourse_posts")
    assert versions[str(deleted)][2] is True and versions[str(deleted)][1]["raw"] == fake.posts[deleted].raw
    assert versions[str(edited.id)][1]["version"] == 2
    gone = [r for r in fake.requests if r.path == f"/posts/{deleted}.json"]
    assert [r.status for r in gone] == [404]


def test_the_newest_post_deleted_during_the_first_walk_is_marked_deleted_by_the_next_run(databases, fake):
    discourse_world(fake, topics=3, replies=3)
    newest = max(fake.posts)
    fake.schedule(None, "delete")  # deleted at the source right after the first page stored it
    fake.random.choice = lambda live: newest
    run_discourse(fake, "run-1")
    assert latest(databases.warehouse_url, "discourse_posts")[str(newest)][2] is False
    fake.clock.advance(90)
    run_discourse(fake, "run-2")  # the list's top is now below the stored max: still checked
    assert latest(databases.warehouse_url, "discourse_posts")[str(newest)][2] is True
    _assert_mirrors_source(databases.warehouse_url, fake)


def test_old_posts_are_swept_on_schedule_for_edits_and_deletions(databases, fake):
    discourse_world(fake, topics=3, replies=3)  # six hours of posts
    run_discourse(fake, "run-1")
    fake.clock.advance(2 * 24 * 3600)
    run_discourse(fake, "run-2")  # the first sweep is due a day after the first run
    old = sorted(fake.posts)
    edited, deleted = fake.posts[old[2]], old[4]
    fake.clock.advance(2 * 3600)
    edited.raw += " (edited)"
    edited.version += 1
    edited.updated_at = fake.clock.now()
    fake.deleted.add(deleted)

    fake.requests.clear()
    run_discourse(fake, "run-3")  # two days old: out of the lookback, and the last sweep is two hours old
    assert len([r for r in fake.requests if r.path == "/posts.json"]) == 1
    assert latest(databases.warehouse_url, "discourse_posts")[str(deleted)][2] is False

    fake.clock.advance(23 * 3600)
    fake.requests.clear()
    run_discourse(fake, "run-4")  # a day after run-2's sweep: the whole stored range is walked again
    # 11 live posts, 5 a page, down to the lowest stored id
    assert len([r for r in fake.requests if r.path == "/posts.json"]) == 3
    _assert_mirrors_source(databases.warehouse_url, fake)
    versions = latest(databases.warehouse_url, "discourse_posts")
    assert versions[str(deleted)][2] is True and versions[str(edited.id)][1]["version"] == 2
    assert [r.status for r in fake.requests if r.path == f"/posts/{deleted}.json"] == [404]
    state = cursor(databases.warehouse_url, "discourse", "community:posts")
    assert state["swept_at"] == state["polled_at"] == fake.clock.now().isoformat()


def test_an_author_deleted_post_lands_deleted(databases, fake):
    discourse_world(fake, topics=1, replies=1)
    original = fake._latest_posts
    target = max(fake.posts)

    def with_user_deleted(request):
        reply = original(request)
        for post in reply.body["latest_posts"]:
            if post["id"] == target:
                post.update(user_deleted=True, raw="(post deleted by author)")
        return reply

    fake.route = lambda request: with_user_deleted(request) if request.path == "/posts.json" else original(request)
    run_discourse(fake, "run-1")
    assert latest(databases.warehouse_url, "discourse_posts")[str(target)][2] is True


def test_bad_content_lands_intact(databases, fake):
    fake.members = ["member0"]
    texts = ["😡 still broken 🔥", "مرحبا، لا يعمل التطبيق", "nul\x00here", "z" * 10_000]
    opener = fake.new_topic("member0", "Weird text", texts[0])
    for text in texts[1:]:
        fake.reply(opener.topic_id, "member0", text)
    run_discourse(fake, "run-1")
    stored = sorted(p["raw"] for p in live(databases.warehouse_url, "discourse_posts").values())
    assert stored == sorted(t.replace("\x00", "\ufffd") for t in texts)
    assert len(raw_rows(databases.warehouse_url, "discourse_posts")) == 4


def test_settings_need_a_base_url():
    from extractors.source_settings import SourceConfigError, SourceSettings

    with pytest.raises(SourceConfigError, match="base URL"):
        discourse.DiscourseConfig.from_settings(SourceSettings("discourse"))
    config = discourse.DiscourseConfig.from_settings(
        SourceSettings("discourse", base_url="https://forum.example.com", extra={"brand_usernames": "Acme_Team, bob"}))
    assert config.forum == "forum.example.com" and config.brand_usernames == ["acme_team", "bob"]


def test_retry_after_dialect_reads_http_dates():
    from datetime import datetime
    from email.utils import format_datetime

    import httpx

    now = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC), usegmt=True)
    assert http.retry_after_header(httpx.Response(429, headers={"Retry-After": later}), now) == 30
    assert http.retry_after_header(httpx.Response(429, headers={"Retry-After": "7"}), now) == 7
    with pytest.raises(http.Throttled) as info:
        discourse.DiscourseDialect().check(httpx.Response(429), {"extras": {"wait_seconds": 9}}, now)
    assert info.value.retry_after == 9


def test_a_reply_shape_the_api_never_sends_is_a_clear_error(databases, fake):
    discourse_world(fake, topics=1, replies=1)
    fake.route = lambda request: Reply(200, raw=b"<!DOCTYPE html><html>maintenance</html>",
                                       headers={"Content-Type": "text/html"})
    with pytest.raises(http.MalformedResponse, match="malformed JSON from /posts.json"):
        run_discourse(fake, "run-1", max_attempts=3)
    assert len(fake.requests) == 3


# --- what the listing shows, and a post the key may no longer see --------------------------------


def _assert_mirrors_listing(url: str, fake: FakeDiscourse) -> None:
    stored = live(url, "discourse_posts")
    assert {int(i): p["raw"] for i, p in stored.items()} == {i: p.raw for i, p in fake.mirrored().items()}


def test_before_is_inclusive_as_in_the_source_and_the_walk_still_ends(databases, fake):
    discourse_world(fake, topics=2, replies=3)  # 8 posts, 5 a page
    run_discourse(fake, "run-1")
    _assert_mirrors_source(databases.warehouse_url, fake)
    assert len([r for r in fake.requests if r.path == "/posts.json"]) == 3  # 5 + 3 posts, then the empty page
    assert len(raw_rows(databases.warehouse_url, "discourse_posts")) == len(fake.posts)  # none read twice


def test_whispers_private_messages_and_hidden_posts_never_land(databases, fake):
    discourse_world(fake, topics=3, replies=2)
    topics = sorted(fake.topics)
    whisper = fake.whisper(topics[0], "acme_team", "internal: refund approved")
    fake.make_private(topics[1])
    hidden = fake.reply(topics[2], "member0", "spam spam spam")
    fake.hide(hidden.id)
    run_discourse(fake, "run-1")
    _assert_mirrors_listing(databases.warehouse_url, fake)
    stored = set(latest(databases.warehouse_url, "discourse_posts"))
    assert str(whisper.id) not in stored and str(hidden.id) not in stored
    assert not {str(p.id) for p in fake.posts.values() if p.topic_id == topics[1]} & stored


def test_a_post_hidden_after_it_landed_lands_as_no_longer_visible(databases, fake):
    discourse_world(fake, topics=2, replies=3)
    run_discourse(fake, "run-1")
    target = sorted(fake.posts)[3]
    fake.hide(target)
    fake.clock.advance(600)
    run_discourse(fake, "run-2")
    native_id, payload, deleted = latest(databases.warehouse_url, "discourse_posts")[str(target)]
    assert deleted and payload["hidden"] is True
    with psycopg.connect(databases.warehouse_url) as conn:
        context = conn.execute("SELECT context FROM raw.discourse_posts WHERE native_id = %s AND is_deleted",
                               (str(target),)).fetchone()[0]
    assert "hidden" in context["deleted_detected_by"]
    _assert_mirrors_listing(databases.warehouse_url, fake)


def test_a_post_moved_to_a_restricted_category_is_no_longer_visible_not_a_bad_key(databases, fake):
    discourse_world(fake, topics=3, replies=2)
    fake.staff_key = False  # a user key: restricted categories are out of its reach
    run_discourse(fake, "run-1")
    moved = sorted(fake.topics)[1]
    fake.restrict(moved)
    moved_posts = {str(p.id) for p in fake.posts.values() if p.topic_id == moved}
    fake.clock.advance(600)
    results = run_discourse(fake, "run-2")
    assert results[0].status == "ok"
    versions = latest(databases.warehouse_url, "discourse_posts")
    assert moved_posts and all(versions[i][2] for i in moved_posts)  # no longer visible: deleted versions
    with psycopg.connect(databases.warehouse_url) as conn:
        reasons = {c["deleted_detected_by"] for (c,) in conn.execute(
            "SELECT context FROM raw.discourse_posts WHERE is_deleted")}
    assert reasons == {"GET /posts/{id}.json: 403 invalid_access (the key may no longer see it)"}
    assert [r.status for r in fake.requests if r.path == f"/posts/{min(moved_posts)}.json"] == [403]
    _assert_mirrors_listing(databases.warehouse_url, fake)
    assert cursor(databases.warehouse_url, "discourse", "community:posts")["polled_at"] == fake.clock.now().isoformat()


def test_a_key_revoked_between_the_listing_and_a_post_still_stops_and_hides_nothing(databases, fake):
    discourse_world(fake, topics=2, replies=3)
    run_discourse(fake, "run-1")
    state = cursor(databases.warehouse_url, "discourse", "community:posts")
    gone = sorted(fake.posts)[2]
    fake.deleted.add(gone)  # unlisted now: the run will read it alone...
    listing_and_posts = fake.route

    def revoke_before_a_single_post(request):
        if request.path.startswith("/posts/"):
            fake.api_key = "rotated"  # ...and the key is revoked just before that read
            return Reply(403, {"errors": ["You are not permitted to view the requested resource. The API username "
                                          "or key is invalid."], "error_type": "invalid_access"})
        return listing_and_posts(request)

    fake.route = revoke_before_a_single_post
    fake.clock.advance(600)
    with pytest.raises(http.TokenExpired, match="renew the key"):
        run_discourse(fake, "run-2")
    assert not any(deleted for _n, _p, deleted in latest(databases.warehouse_url, "discourse_posts").values())
    assert cursor(databases.warehouse_url, "discourse", "community:posts") == state
