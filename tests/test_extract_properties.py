"""Properties of every API extractor under random fault schedules (hypothesis), and a real crash.

For each API: a small source world in its fake server, a few runs each meeting a random
schedule of faults (429s, 5xx, timeouts, truncated JSON, expired tokens, and items inserted,
edited or deleted while we page), then one clean run. After every run, finished or not, the
saved cursor never claims data the raw layer does not hold; after the clean run the raw layer
holds exactly the source's items (latest versions equal, deletions marked, nothing twice).

The crash test kills a real extractor process between landing a page and saving its cursor,
reruns, and compares the raw rows with one clean run's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from extractors import http
from tests.conftest import create_databases
from tests.fakes.fake_api import FakeClock
from tests.fakes.harness import (
    BRAND_PAGE,
    BRAND_X,
    X_VERSIONS,
    cursor,
    discourse_world,
    facebook_world,
    latest,
    reset_raw,
    run_discourse,
    run_facebook,
    run_x,
    x_world,
)
from tests.sources.discourse.fake_discourse import FakeDiscourse
from tests.sources.facebook.fake_graph_api import FakeGraphApi
from tests.sources.x.fake_x_api import FakeXApi

COMMON = ["throttle", "server_error", "timeout", "truncated", "token_expired", "insert", "delete", "edit"]
# a stop (expired token) is drawn as often as a clean answer, so runs that die midway are common
FAULT = st.one_of(st.none(), st.just("token_expired"), st.sampled_from(COMMON))
SCHEDULES = st.lists(st.lists(FAULT, max_size=10), min_size=1, max_size=3)
EXPECTED_FAILURES = (http.StopSource, http.RetryableError, httpx.HTTPError)
# always tried besides the random ones: a run that dies midway, then items changed between runs
DIES_THEN_CHANGES = [[None, None, "token_expired"], ["delete", "edit", "insert", "delete"]]
EVERY_TRANSPORT_FAULT = [["throttle", "server_error", None, "timeout", "truncated", "insert"]]
# PROPERTY_EXAMPLES=500 searches deeper than the default run does
PROPERTY_SETTINGS = settings(max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "15")), deadline=None,
                             phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _runs(fake, schedules, run, check) -> None:
    """Each schedule's faulty run (failures expected), the cursor checked after each; then a clean run."""
    for number, schedule in enumerate(schedules):
        fake.schedule(*schedule)
        try:
            run(f"faulty-{number}")
        except EXPECTED_FAILURES:
            pass
        fake.faults.clear()
        check()
        fake.clock.advance(90)
    run("clean")
    check()


# --- X ------------------------------------------------------------------------------------------


def _x_cursor_holds(url: str, fake: FakeXApi) -> None:
    stored = {native_id for native_id, _p, _d in latest(url, "x_tweets").values()}
    for stream, kind in (("mentions", "mentions"), ("brand_tweets", "tweets")):
        state = cursor(url, "x", f"{BRAND_X}:{stream}")
        if not state or not state.get("since_id"):
            continue
        covered = {t.id for t in fake.timeline(BRAND_X, kind) if int(t.id) <= int(state["since_id"])}
        assert covered <= stored, f"{stream}: since_id {state['since_id']} skips {sorted(covered - stored)}"


def _x_mirrors(url: str, fake: FakeXApi) -> None:
    versions = latest(url, "x_tweets", **X_VERSIONS)
    source = fake.live_tweets()
    assert set(source) <= set(versions), "a tweet of the source is missing"
    for chain, (native_id, payload, deleted) in versions.items():
        if chain in source:
            assert not deleted and native_id == source[chain].id and payload["text"] == source[chain].text
        else:
            assert deleted, f"tweet {chain} was deleted at the source but is live in raw"
    _no_duplicates(url, "x_tweets")


@PROPERTY_SETTINGS
@given(seed=st.integers(0, 10_000), schedules=SCHEDULES)
@example(seed=1, schedules=DIES_THEN_CHANGES)
@example(seed=2, schedules=EVERY_TRANSPORT_FAULT)
@example(seed=27, schedules=[[None, "edit", "edit"]])  # two edits of one tweet seen in one run
def test_x_raw_mirrors_the_source_under_random_faults(use_databases, seed, schedules):
    url = use_databases.warehouse_url
    reset_raw(url)
    fake = FakeXApi(FakeClock(), seed=seed).start()
    try:
        x_world(fake, mentions=9, seed=seed)
        _runs(fake, schedules, lambda run_id: run_x(fake, run_id), lambda: _x_cursor_holds(url, fake))
        _x_mirrors(url, fake)
    finally:
        fake.stop()


# --- Facebook -----------------------------------------------------------------------------------


def _facebook_cursor_holds(url: str, fake: FakeGraphApi) -> None:
    state = cursor(url, "facebook", BRAND_PAGE)
    if not state:
        return
    from datetime import datetime

    synced = datetime.fromisoformat(state["synced_at"])
    posts = {k for k, (_n, _p, _d) in latest(url, "facebook_posts").items()}
    comments = {k for k, (_n, _p, _d) in latest(url, "facebook_comments").items()}
    missing = [p for p in fake.live_posts().values() if p.created_time < synced and p.id not in posts]
    missing += [c for c in fake.live_comments().values() if c.created_time < synced and c.id not in comments]
    assert not missing, f"synced_at {synced} claims unsaved items {[m.id for m in missing]}"


def _facebook_mirrors(url: str, fake: FakeGraphApi) -> None:
    for table, source in (("facebook_posts", fake.posts), ("facebook_comments", fake.comments)):
        versions = latest(url, table)
        live = {i for i in source if i not in fake.deleted}
        assert live <= set(versions), f"{table}: missing {sorted(live - set(versions))}"
        for object_id, (_n, payload, deleted) in versions.items():
            if object_id in live:
                assert not deleted and payload["message"] == source[object_id].message
            else:
                assert deleted, f"{table}: {object_id} was deleted at the source but is live in raw"
        _no_duplicates(url, table)


@PROPERTY_SETTINGS
@given(seed=st.integers(0, 10_000), schedules=SCHEDULES)
@example(seed=1, schedules=DIES_THEN_CHANGES)
@example(seed=2, schedules=EVERY_TRANSPORT_FAULT)
def test_facebook_raw_mirrors_the_source_under_random_faults(use_databases, seed, schedules):
    url = use_databases.warehouse_url
    reset_raw(url)
    fake = FakeGraphApi(FakeClock(), seed=seed).start()
    try:
        facebook_world(fake, posts=3, comments=3, seed=seed)
        _runs(fake, schedules, lambda run_id: run_facebook(fake, run_id), lambda: _facebook_cursor_holds(url, fake))
        _facebook_mirrors(url, fake)
    finally:
        fake.stop()


# --- Discourse ----------------------------------------------------------------------------------


def _discourse_cursor_holds(url: str, fake: FakeDiscourse) -> None:
    state = cursor(url, "discourse", "community:posts")
    if not state:
        return
    stored = set(latest(url, "discourse_posts"))
    covered = {str(i) for i in fake.live_posts() if i <= state["max_id"]}
    assert covered <= stored, f"max_id {state['max_id']} skips {sorted(covered - stored)}"


def _discourse_mirrors(url: str, fake: FakeDiscourse) -> None:
    versions = latest(url, "discourse_posts")
    live = {str(i): p for i, p in fake.live_posts().items()}
    assert set(live) <= set(versions), f"missing {sorted(set(live) - set(versions))}"
    for post_id, (_n, payload, deleted) in versions.items():
        if post_id in live:
            assert not deleted and payload["raw"] == live[post_id].raw and payload["version"] == live[post_id].version
        else:
            assert deleted, f"post {post_id} was deleted at the source but is live in raw"
    _no_duplicates(url, "discourse_posts")


@PROPERTY_SETTINGS
@given(seed=st.integers(0, 10_000), schedules=SCHEDULES)
@example(seed=1, schedules=DIES_THEN_CHANGES)
@example(seed=2, schedules=EVERY_TRANSPORT_FAULT)
@example(seed=8661, schedules=[[None, "throttle", "delete"]])  # a post deleted while the first run walks
@example(seed=0, schedules=[[None, "delete", "token_expired"]])  # a post deleted, then the run dies
def test_discourse_raw_mirrors_the_source_under_random_faults(use_databases, seed, schedules):
    url = use_databases.warehouse_url
    reset_raw(url)
    fake = FakeDiscourse(FakeClock(), seed=seed, page_size=4).start()
    try:
        discourse_world(fake, topics=3, replies=3, seed=seed)
        _runs(fake, schedules, lambda run_id: run_discourse(fake, run_id), lambda: _discourse_cursor_holds(url, fake))
        _discourse_mirrors(url, fake)
    finally:
        fake.stop()


def _no_duplicates(url: str, table: str) -> None:
    """Every stored row is a distinct version: no (native_id, content, deleted) twice."""
    with psycopg.connect(url) as conn:
        twice = conn.execute(
            f"SELECT native_id, payload, is_deleted, count(*) FROM raw.{table} "
            "GROUP BY native_id, payload, is_deleted HAVING count(*) > 1"
        ).fetchall()
    assert not twice, f"{table}: versions stored twice: {twice[:3]}"


# --- a real crash between landing and saving the cursor -----------------------------------------

CRASHING_CHILD = """
import os, sys
from extractors import landing, source_settings as sources
from extractors.discourse import discourse_api as discourse
from extractors.facebook import graph_api as facebook
from extractors.x import x_api

def crash(*args, **kwargs):
    os._exit(17)  # die like a killed worker: no rollback, no cleanup, the connection just drops

landing.save_cursor = crash  # land_page (used by X) calls it right after landing its page
facebook.save_cursor = crash
discourse.save_cursor = crash
source = sys.argv[1]
module = {"x": x_api, "facebook": facebook, "discourse": discourse}[source]
module.extract("crashing-run", sources.require(source))
"""


def _world(source: str):
    clock = FakeClock(real=True)
    if source == "x":
        fake = FakeXApi(clock, seed=1).start()
        x_world(fake, mentions=12)
        conn = {"host": fake.url, "password": fake.token, "extra": {"brand_user_ids": BRAND_X, "page_size": 5}}
    elif source == "facebook":
        fake = FakeGraphApi(clock, seed=1).start()
        facebook_world(fake, posts=3, comments=4)
        conn = {"host": fake.url, "password": fake.token, "extra": {"page_ids": BRAND_PAGE, "page_size": 3}}
    else:
        fake = FakeDiscourse(clock, seed=1, page_size=4).start()
        discourse_world(fake, topics=3, replies=3)
        conn = {"host": fake.url, "login": fake.api_username, "password": fake.api_key,
                "extra": {"forum_name": "community", "min_interval_seconds": 0}}
    return fake, json.dumps({"conn_type": "http", **conn})


def _rows(url: str, table: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return sorted(conn.execute(f"SELECT native_id, payload_hash, is_deleted FROM raw.{table}").fetchall())


def _state(url: str) -> dict:
    with psycopg.connect(url) as conn:
        return {(s, k): c for s, k, c in conn.execute("SELECT source, stream, cursor FROM raw.extract_state")}


@pytest.mark.parametrize("source, tables", [
    ("x", ["x_tweets"]),
    ("facebook", ["facebook_posts", "facebook_comments"]),
    ("discourse", ["discourse_posts"]),
])
def test_a_crash_between_landing_and_the_cursor_then_a_rerun_gives_one_clean_runs_rows(
        databases, server, monkeypatch, source, tables):
    from social360.orchestration.stages import extract_social_source

    fake, connection = _world(source)
    try:
        monkeypatch.setenv(f"AIRFLOW_CONN_SOCIAL360_{source.upper()}", connection)
        child = subprocess.run([sys.executable, "-c", CRASHING_CHILD, source], cwd=os.getcwd(),
                               env=os.environ.copy(), capture_output=True, text=True, timeout=120)
        assert child.returncode == 17, child.stderr[-2000:]
        crashed = {t: _rows(databases.warehouse_url, t) for t in tables}
        assert any(crashed.values()), "the crash came after some pages were stored"
        assert _state(databases.warehouse_url) == {}  # ...but before any cursor was

        assert extract_social_source(source, "rerun")["status"] == "ok"
        after_rerun = {t: _rows(databases.warehouse_url, t) for t in tables}

        clean = create_databases(server)
        monkeypatch.setenv("WAREHOUSE_URL", clean.warehouse_url)
        extract_social_source(source, "clean-run")
        one_clean_run = {t: _rows(clean.warehouse_url, t) for t in tables}
        assert after_rerun == one_clean_run
        assert _state(databases.warehouse_url).keys() == _state(clean.warehouse_url).keys()
    finally:
        fake.stop()
