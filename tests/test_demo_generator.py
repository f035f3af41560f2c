"""The demo generator: deterministic, realistic in shape, and with ground truth that adds up."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from social360.demo import generator
from tests.demo_data import NOW


def _gen(seed=3, customers=150, posts=900):
    return generator.generate(seed=seed, customers=customers, posts=posts, now=NOW, days=21)


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = _gen(seed=3), _gen(seed=3), _gen(seed=4)
    key = lambda d: [(p.native_id, p.text, p.created_at) for p in d.posts]  # noqa: E731
    assert key(a) == key(b)
    assert [(x.email, x.twitter_handle) for x in a.customers] == [(x.email, x.twitter_handle) for x in b.customers]
    assert key(a) != key(c)


def test_sizes_follow_the_flags():
    data = _gen(customers=120, posts=700)
    assert len(data.customers) == 120
    assert 700 <= len(data.posts) < 720  # the last thread may overshoot a little


def test_two_channels_three_intents_and_threads_several_posts_deep():
    data = _gen()
    assert {p.channel for p in data.posts} == {"twitter", "facebook"}
    assert {"complaint", "question", "praise"} <= {p.intent for p in data.inbound()}
    depth = Counter(p.thread_root_id for p in data.posts)
    assert max(depth.values()) >= 4


def test_brand_answers_after_the_post_and_some_posts_stay_unanswered():
    data = _gen()
    by_id = {p.native_id: p for p in data.posts}
    answers = [p for p in data.posts if p.is_brand and p.answers_id]
    assert answers
    for reply in answers:
        asked = by_id[reply.answers_id]
        assert not asked.is_brand and asked.channel == reply.channel
        assert reply.created_at > asked.created_at
    answered = data.first_responses()
    unanswered = [p for p in data.inbound() if p.native_id not in answered]
    assert 0.05 < len(unanswered) / len(data.inbound()) < 0.5
    assert all(p.created_at <= NOW for p in data.posts)
    assert all(p.created_at >= NOW - timedelta(days=22) for p in data.posts)


def test_x_replies_point_at_their_parent_and_share_the_conversation():
    data = _gen()
    by_id = {p.native_id: p for p in data.posts}
    for post in data.posts:
        if post.channel == "twitter" and post.parent_id:
            parent = by_id[post.parent_id]
            assert parent.conversation_id == post.conversation_id
            payload, context = generator.x_tweet_payload(post)
            assert payload["referenced_tweets"] == [{"type": "replied_to", "id": post.parent_id}]
            assert context["brand_username"] in {"AcmeHelp", "AcmeStore"}


def test_some_social_accounts_belong_to_customers_and_some_declared_their_handle():
    data = _gen()
    x_accounts = [a for a in data.accounts if a.channel == "twitter"]
    linked = [a for a in x_accounts if a.customer_id]
    assert linked and len(linked) < len(x_accounts)
    declared = {c.twitter_handle.lower() for c in data.customers if c.twitter_handle}
    assert declared and declared <= {a.handle.lower() for a in linked}
    undeclared = [a for a in linked if a.handle.lower() not in declared]
    assert undeclared, "some customers never told the CRM their handle (work for fuzzy matching)"
