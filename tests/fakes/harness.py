"""Helpers the extractor tests share: small source worlds in the fakes, clients pointed at them,
and readers of what the raw layer holds (the latest version of each object)."""

from __future__ import annotations

import random
from datetime import timedelta

import psycopg

from extractors.discourse import discourse_api as discourse
from extractors.facebook import graph_api as facebook
from extractors.source_settings import SourceSettings
from extractors.x import x_api
from tests.fakes.fake_api import FakeClock
from tests.sources.discourse.fake_discourse import FakeDiscourse
from tests.sources.facebook.fake_graph_api import FakeGraphApi
from tests.sources.x.fake_x_api import FakeXApi

BRAND_X = "100"
BRAND_PAGE = "500"
CLIENT_TIMEOUT = 0.25  # the fakes stall 0.6 s on a "timeout" fault


def client_kwargs(clock: FakeClock, **overrides) -> dict:
    return {"sleep": clock.sleep, "clock": clock, "timeout": CLIENT_TIMEOUT, "max_attempts": 8,
            "backoff_base": 0.5, **overrides}


# --- X ----------------------------------------------------------------------------------------


def x_world(fake: FakeXApi, *, mentions: int = 12, reply_every: int = 2, customers: int = 4, seed: int = 1,
            span: timedelta = timedelta(hours=3)) -> None:
    """A brand account, some customers mentioning it, and the brand's replies to some of them."""
    rng = random.Random(seed)
    fake.add_user(BRAND_X, "acme_support", "Acme Support", followers=50_000)
    fake.users[BRAND_X]["brand"] = True
    for i in range(customers):
        fake.add_user(str(200 + i), f"customer{i}", f"Customer {i}", followers=rng.randint(0, 5000))
    start = fake.clock.now() - span
    step = span / max(1, mentions * 2)
    moment = start
    for i in range(mentions):
        author = str(200 + rng.randrange(customers))
        tweet = fake.post(author, f"@acme_support problem number {i}", mentions=(BRAND_X,), at=moment)
        moment += step
        if i % reply_every == 0:
            fake.post(BRAND_X, f"@customer sorry about problem {i}", reply_to=tweet.id, at=moment)
        moment += step


def x_settings(fake: FakeXApi, **extra) -> SourceSettings:
    return SourceSettings("x", base_url=fake.url, secret=fake.token,
                          extra={"brand_user_ids": BRAND_X, "page_size": 5, **extra})


X_SETTINGS = ("page_size", "lookback_minutes", "rehydrate_hours", "initial_days", "fields_parameter", "tweet_fields",
              "brand_user_ids")


def run_x(fake: FakeXApi, run_id: str, **extra) -> list:
    settings = x_settings(fake, **{k: v for k, v in extra.items() if k in X_SETTINGS})
    kwargs = client_kwargs(fake.clock, **{k: v for k, v in extra.items() if k in ("max_wait", "max_attempts")})
    return x_api.extract(run_id, settings, **kwargs)


# --- Facebook -----------------------------------------------------------------------------------


def facebook_world(fake: FakeGraphApi, *, posts: int = 4, comments: int = 5, seed: int = 1,
                   span: timedelta = timedelta(hours=6)) -> None:
    rng = random.Random(seed)
    fake.add_page(BRAND_PAGE, "Acme")
    fake.customers = [(str(900 + i), f"Fan {i}") for i in range(4)]
    moment = fake.clock.now() - span
    step = span / max(1, posts * (comments + 1) * 2)
    for p in range(posts):
        post = fake.add_post(BRAND_PAGE, f"Acme news {p}", at=moment)
        moment += step
        for c in range(comments):
            author = rng.choice(fake.customers)
            comment = fake.add_comment(post.id, author, f"question {p}.{c}", at=moment)
            moment += step
            if rng.random() < 0.5:
                fake.add_comment(post.id, (BRAND_PAGE, "Acme"), f"answer {p}.{c}", reply_to=comment.id, at=moment)
                moment += step


def facebook_settings(fake: FakeGraphApi, **extra) -> SourceSettings:
    return SourceSettings("facebook", base_url=fake.url, secret=fake.token,
                          extra={"page_ids": BRAND_PAGE, "page_size": 3, **extra})


def run_facebook(fake: FakeGraphApi, run_id: str, *, settings: dict | None = None, **client_overrides) -> list:
    return facebook.extract(run_id, facebook_settings(fake, **(settings or {})),
                            **client_kwargs(fake.clock, **client_overrides))


# --- Discourse ----------------------------------------------------------------------------------


def discourse_world(fake: FakeDiscourse, *, topics: int = 4, replies: int = 4, seed: int = 1,
                    span: timedelta = timedelta(hours=6)) -> None:
    rng = random.Random(seed)
    fake.members = [f"member{i}" for i in range(4)]
    fake.staff = ["acme_team"]
    moment = fake.clock.now() - span
    step = span / max(1, topics * (replies + 1))
    for t in range(topics):
        opener = fake.new_topic(rng.choice(fake.members), f"Topic {t}", f"How do I do thing {t}?", at=moment)
        moment += step
        for r in range(replies):
            author = "acme_team" if rng.random() < 0.4 else rng.choice(fake.members)
            to = rng.choice([None, 1, opener.post_number])
            fake.reply(opener.topic_id, author, f"reply {t}.{r}", to_post_number=to, at=moment)
            moment += step


def discourse_settings(fake: FakeDiscourse, **extra) -> SourceSettings:
    return SourceSettings("discourse", base_url=fake.url, login=fake.api_username, secret=fake.api_key,
                          extra={"brand_usernames": "acme_team", "forum_name": "community", **extra})


def run_discourse(fake: FakeDiscourse, run_id: str, **client_overrides) -> list:
    kwargs = client_kwargs(fake.clock, min_interval=0.0, **client_overrides)
    return discourse.extract(run_id, discourse_settings(fake), **kwargs)


# --- reading the raw layer --------------------------------------------------------------------


def latest(url: str, table: str, key: str = "native_id", then_by: str = "") -> dict[str, tuple[str, dict, bool]]:
    """Latest version per ``key`` (an SQL expression), as staging picks it: (native_id, payload, is_deleted).

    ``then_by`` breaks ties of ``source_updated_at`` before the landing order, as the staging
    model's ``latest_version(then_by=...)`` does."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"""
            SELECT DISTINCT ON ({key}) {key}, native_id, payload, is_deleted FROM raw.{table}
            ORDER BY {key}, source_updated_at DESC NULLS LAST, {then_by + ", " if then_by else ""}loaded_seq DESC
            """
        ).fetchall()
    return {k: (native_id, payload, deleted) for k, native_id, payload, deleted in rows}


def live(url: str, table: str, key: str = "native_id", then_by: str = "") -> dict[str, dict]:
    return {k: payload for k, (_n, payload, deleted) in latest(url, table, key, then_by).items() if not deleted}


# stg_x__tweets: one row per edit chain (its original id, under either spelling of the edit history);
# within a second the greater id is newer
X_CHAIN = "coalesce(payload -> 'edit_history_tweet_ids' ->> 0, payload -> 'edit_history_post_ids' ->> 0, native_id)"
X_NEWER_FIRST = "length(native_id) DESC, native_id DESC"
X_VERSIONS = {"key": X_CHAIN, "then_by": X_NEWER_FIRST}


def raw_rows(url: str, table: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT native_id, payload_hash, is_deleted FROM raw.{table} ORDER BY loaded_seq").fetchall()


def cursor(url: str, source: str, stream: str) -> dict | None:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT cursor FROM raw.extract_state WHERE source = %s AND stream = %s",
                           (source, stream)).fetchone()
    return row[0] if row else None


def reset_raw(url: str) -> None:
    """Empty every raw table and the extraction state (creating the schema first if needed)."""
    from social360.core import db
    from social360.core.catalog import RAW_TABLES

    db.connect(url).close()
    with psycopg.connect(url) as conn:
        conn.execute("TRUNCATE raw.extract_state, raw.extract_runs, " + ", ".join(f"raw.{t}" for t in RAW_TABLES))
