"""fct_interactions carries what a post says (contact details redacted, as in the other marts) and a
link to it where its channel has one: posts extracted from the fake X, Facebook and Discourse APIs
and imported from a JSON-lines dump, built by dbt."""

from __future__ import annotations

import json

import psycopg
import pytest

from extractors.jsonl import jsonl_dump as jsonl
from social360.transform import dbt_runner
from tests.fakes.fake_api import FakeClock
from tests.fakes.harness import (
    BRAND_PAGE,
    BRAND_X,
    discourse_world,
    facebook_world,
    run_discourse,
    run_facebook,
    run_x,
    x_world,
)
from tests.sources.discourse.fake_discourse import FakeDiscourse
from tests.sources.facebook.fake_graph_api import FakeGraphApi
from tests.sources.x.fake_x_api import FakeXApi

CONTACTS = "mail me at jane.doe@example.com or call +44 20 7946 0958"


@pytest.fixture(scope="module")
def built(module_databases, tmp_path_factory):
    """Posts of every channel landed by their extractors, and dbt's fct_interactions built from them."""
    mp = pytest.MonkeyPatch()
    mp.setenv("WAREHOUSE_URL", module_databases.warehouse_url)
    x, graph, forum = (FakeXApi(FakeClock(), seed=3).start(), FakeGraphApi(FakeClock(), seed=7).start(),
                       FakeDiscourse(FakeClock(), seed=2).start())
    try:
        x_world(x, mentions=4)
        leaky = x.post("200", f"@acme_support {CONTACTS}", mentions=(BRAND_X,))
        run_x(x, "links")
        facebook_world(graph, posts=1, comments=2)
        post = next(iter(graph.posts))
        with_permalink = graph.add_comment(post, ("901", "Fan 1"), "a comment with a permalink")
        with_permalink.permalink_url = f"https://www.facebook.com/{BRAND_PAGE}/posts/1?comment_id={with_permalink.id}"
        run_facebook(graph, "links")
        discourse_world(forum, topics=1, replies=2)
        given_url = forum.reply(next(iter(forum.topics)), "member1", "a reply whose url the API gives")
        given_url.post_url = f"/t/topic-{given_url.topic_id}/{given_url.topic_id}/{given_url.post_number}"
        run_discourse(forum, "links")
        dump = tmp_path_factory.mktemp("dump") / "reviews.jsonl"
        dump.write_text("\n".join(json.dumps(line) for line in (
            {"id": "r-1", "created_at": "2026-11-20T10:00:00Z", "author_id": "u-1", "is_brand": False,
             "text": "great", "url": "https://reviews.example/r-1"},
            {"id": "r-2", "created_at": "2026-11-20T11:00:00Z", "author_id": "u-2", "is_brand": False, "text": "meh"},
        )) + "\n")
        jsonl.import_file(dump, "review", "links")
        result = dbt_runner.build(["+fct_interactions"])
        assert result.success, result.summary()
        with psycopg.connect(module_databases.warehouse_url) as conn:
            rows = conn.execute("SELECT channel, source_id, post_text, post_url FROM marts_candidate.fct_interactions "
                                "WHERE interaction_type IN ('social_post', 'brand_reply')").fetchall()
        yield {(channel, source_id): (text, url) for channel, source_id, text, url in rows}, x, graph, forum, leaky
    finally:
        for fake in (x, graph, forum):
            fake.stop()
        mp.undo()


def test_x_posts_link_to_their_status_page(built):
    rows, x, *_ = built
    tweets = {key[1]: value for key, value in rows.items() if key[0] == "twitter"}
    assert set(tweets) == set(x.versions)
    for tweet_id, (_, url) in tweets.items():
        handle = x.users[x.versions[tweet_id].author_id]["username"]
        assert url == f"https://x.com/{handle}/status/{tweet_id}"


def test_facebook_comments_link_to_their_permalink_or_their_id(built):
    rows, _, graph, *_ = built
    comments = {key[1]: value[1] for key, value in rows.items() if key[0] == "facebook"}
    assert set(comments) == set(graph.comments)
    for comment_id, url in comments.items():
        landed = graph.comments[comment_id].permalink_url
        assert url == (landed or f"https://www.facebook.com/{comment_id}")
    assert sum(1 for c in graph.comments.values() if c.permalink_url) == 1


def test_forum_posts_link_to_the_url_the_api_gives_or_their_topic(built):
    rows, *_, forum, _ = built
    posts = {int(key[1]): value[1] for key, value in rows.items() if key[0] == "forum"}
    assert set(posts) == set(forum.posts)
    for post_id, url in posts.items():
        post = forum.posts[post_id]
        assert url == forum.url.rstrip("/") + (post.post_url or f"/t/{post.topic_id}/{post.post_number}")


def test_a_dump_links_only_when_it_has_a_url(built):
    rows, *_ = built
    assert rows[("review", "r-1")][1] == "https://reviews.example/r-1"
    assert rows[("review", "r-2")][1] is None


def test_post_text_is_carried_with_contact_details_redacted(built):
    rows, x, *_, leaky = built
    text, _ = rows[("twitter", leaky.id)]
    assert text == "@acme_support mail me at [email] or call [phone]"
    assert rows[("review", "r-2")][0] == "meh"
