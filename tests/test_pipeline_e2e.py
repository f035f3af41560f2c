"""The whole pipeline through Airflow's dag.test(): the published marts match numbers computed
independently from the generated data, reruns change nothing, and a bad load blocks only the
marts it breaks while their last good versions stay readable."""

from __future__ import annotations

import statistics
from datetime import timedelta

import psycopg
import pytest

from extractors.landing import RawRecord, land
from social360.core import db
from social360.core.catalog import PUBLISHED_MARTS as MARTS
from social360.demo.generator import x_tweet_payload
from tests.business_time import business_minutes, load_schedules, sla_targets
from tests.conftest import run_dag, task_states
from tests.demo_data import NOW, load_demo

pytestmark = pytest.mark.e2e
AS_OF = NOW.isoformat()


def _run_all(conf=None):
    states = {}
    for dag_id in ("social_ingest", "crm_sync", "customer360_build"):
        run = run_dag(dag_id, conf=conf if dag_id == "customer360_build" else None)
        states[dag_id] = (str(run.state), task_states(run))
    return states


def _contents(url):
    with psycopg.connect(url) as conn:
        return {m: sorted(conn.execute(f"SELECT * FROM marts.{m}").fetchall(), key=repr) for m in MARTS}


def test_pipeline_end_to_end(databases, airflow_ready):
    data = load_demo(seed=21, customers=90, posts=500)
    states = _run_all({"as_of": AS_OF})
    assert all(state == "success" for state, _ in states.values()), states

    # --- response times against the generator's own record of who answered what, when ---
    inbound = {p.native_id: p for p in data.inbound()}
    first = data.first_responses()
    with psycopg.connect(databases.warehouse_url) as conn:
        rows = conn.execute(
            "SELECT post_id, channel, received_at, first_response_at, first_response_calendar_minutes, "
            "first_response_business_minutes, is_sla_breached, sla_target_minutes, sla_in_business_hours, priority "
            "FROM marts.mart_response_times"
        ).fetchall()
    assert {r[0] for r in rows} == set(inbound)
    assert {r[0]: r[3] for r in rows if r[3]} == first
    schedules, targets = load_schedules(), sla_targets()
    for post_id, channel, received, responded, minutes, business, breached, target, in_business, priority in rows:
        assert channel == inbound[post_id].channel and received == inbound[post_id].created_at
        assert (target, in_business) == targets.get((channel, priority), targets[("*", priority)])
        schedule = schedules.get(channel, schedules["*"])
        until = responded or NOW
        expected_business = business_minutes(schedule, received, until)
        expected_calendar = (until - received).total_seconds() / 60
        if responded:
            assert float(minutes) == pytest.approx(expected_calendar, abs=0.01)
            assert float(business) == pytest.approx(expected_business, abs=0.01)
        else:
            assert minutes is None and business is None
        assert breached == ((expected_business if in_business else expected_calendar) > target)
    expected_median = statistics.median((first[i] - inbound[i].created_at).total_seconds() / 60 for i in first)
    published_median = statistics.median(float(r[4]) for r in rows if r[3])
    assert published_median == pytest.approx(expected_median, abs=0.01)

    # --- the other marts against the same truth ---
    with psycopg.connect(databases.warehouse_url) as conn:
        sentiment_posts = conn.execute("SELECT sum(post_count), sum(scored_post_count) FROM marts.mart_sentiment").fetchone()
        interactions = dict(conn.execute(
            "SELECT interaction_type, count(*) FROM marts.fct_interactions GROUP BY 1").fetchall())
        customers = conn.execute("SELECT count(*), count(twitter_handle) FROM marts.dim_customers").fetchone()
        linked_handles = dict(conn.execute(
            "SELECT lower(twitter_handle), customer_id FROM marts.dim_customers WHERE twitter_handle IS NOT NULL"))
    assert sentiment_posts == (len(inbound), len(inbound))
    assert interactions["social_post"] == len(inbound)
    assert interactions["brand_reply"] == len(data.posts) - len(inbound)
    assert interactions["order"] == len(data.orders) and interactions["support_ticket"] == len(data.tickets)
    assert customers[0] == len(data.customers)
    owner = {a.handle.lower(): a.customer_id for a in data.accounts if a.channel == "twitter"}
    posted = {p.author.handle.lower() for p in data.inbound() if p.channel == "twitter" and p.author.customer_id}
    declared = {c.twitter_handle.lower() for c in data.customers if c.twitter_handle}
    assert posted & declared <= set(linked_handles), "every declared handle that posted is linked"
    correct = sum(owner.get(handle) == customer for handle, customer in linked_handles.items())
    assert correct / len(linked_handles) >= 0.95

    # --- idempotence: the same data again gives the same marts ---
    before = _contents(databases.warehouse_url)
    states = _run_all({"as_of": AS_OF})
    assert all(state == "success" for state, _ in states.values()), states
    assert _contents(databases.warehouse_url) == before
    with psycopg.connect(databases.warehouse_url) as conn:
        versions = dict(conn.execute(
            "SELECT mart, max(version) FROM audit.publish_log WHERE published GROUP BY mart").fetchall())
    assert versions == dict.fromkeys(MARTS, 2)

    # --- a bad load: a tweet stamped two days in the future reaches raw ---
    victim = next(p for p in data.inbound() if p.channel == "twitter" and not p.author.customer_id)
    payload, context = x_tweet_payload(victim)
    payload = {**payload, "id": "999", "edit_history_tweet_ids": ["999"],
               "created_at": (NOW + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    with db.connect() as conn:
        land(conn, "x_tweets", [RawRecord("999", payload, context=context)], "bad-load")
        conn.commit()
    run = run_dag("customer360_build", conf={"as_of": AS_OF})
    states = task_states(run)
    assert str(run.state) == "failed"
    broken = ("mart_sentiment", "mart_response_times", "mart_response_times_daily", "mart_priority_queue",
              "fct_interactions")
    for mart in broken:
        assert states[f"gate_{mart}"] == "failed" and states[f"publish_{mart}"] == "upstream_failed"
    assert states["gate_dim_customers"] == "success" and states["publish_dim_customers"] == "success"
    assert states["summarize"] == "success" and states["check_gates"] == "failed"
    after = _contents(databases.warehouse_url)
    for mart in broken:
        assert after[mart] == before[mart], f"{mart} must keep its last good version"
    with psycopg.connect(databases.warehouse_url) as conn:
        blocked = dict(conn.execute(
            "SELECT mart, reason FROM audit.publish_log WHERE NOT published AND run_id = %s", (run.run_id,)).fetchall())
    assert set(blocked) == set(broken)
    assert "no activity dates in the future" in blocked["mart_sentiment"]
