"""Demo feed and CRM extraction against real PostgreSQL sources: incremental and idempotent."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from extractors import crm
from extractors.demo_feed import demo_feed as demo_social
from extractors.landing import load_cursor
from social360.core import db
from tests.demo_data import load_demo


def _count(conn, table):
    return conn.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]


def test_demo_feed_lands_everything_once_in_pages(databases):
    data = load_demo(customers=40, posts=250)
    first = demo_social.extract("run-1", page_size=60)
    assert first.rows_seen == first.rows_landed == len(data.posts) + len(data.brand_posts_fb)
    assert first.pages >= 4
    again = demo_social.extract("run-2", page_size=60)
    assert again.rows_seen == 0 and again.rows_landed == 0
    with db.connect() as conn:
        tweets = sum(p.channel == "twitter" for p in data.posts)
        assert _count(conn, "x_tweets") == tweets
        assert _count(conn, "facebook_comments") == len(data.posts) - tweets
        assert load_cursor(conn, "demo_social", "events")["seq"] == first.rows_seen


def test_demo_feed_rereading_from_scratch_adds_nothing(databases):
    load_demo(customers=30, posts=150)
    demo_social.extract("run-1")
    with db.connect() as conn:
        before = _count(conn, "x_tweets") + _count(conn, "facebook_comments")
        conn.execute("DELETE FROM raw.extract_state")  # a lost cursor: everything is read again
        conn.commit()
    result = demo_social.extract("run-2")
    assert result.rows_seen > 0 and result.rows_landed == 0
    with db.connect() as conn:
        assert _count(conn, "x_tweets") + _count(conn, "facebook_comments") == before


def test_crm_sync_is_incremental_and_catches_late_commits(databases):
    data = load_demo(customers=50, posts=100)
    results = {r.stream: r for r in crm.sync_all("run-1")}
    assert results["customers"].rows_landed == 50
    assert results["orders"].rows_landed == len(data.orders)
    assert results["support_tickets"].rows_landed == len(data.tickets)
    assert all(r.rows_landed == 0 for r in crm.sync_all("run-2"))

    with db.connect() as wh:
        cursor = load_cursor(wh, "crm", "customers")
    from datetime import datetime

    high_water = datetime.fromisoformat(cursor["updated_at"])
    with psycopg.connect(databases.crm_url) as src:
        # a change committed late, stamped a little before the cursor, and a fresh change
        src.execute("UPDATE customers SET segment = 'enterprise', updated_at = %s WHERE customer_id = 1",
                    (high_water - timedelta(minutes=5),))
        src.execute("UPDATE customers SET country = 'NZ', updated_at = %s WHERE customer_id = 2",
                    (high_water + timedelta(minutes=1),))
    result = crm.sync_table(crm.TABLES[0], "run-3")
    assert result.rows_landed == 2
    with db.connect() as wh:
        versions = wh.execute(
            "SELECT native_id, count(*) FROM raw.crm_customers WHERE native_id IN ('1', '2') GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert versions == [("1", 2), ("2", 2)]
        assert load_cursor(wh, "crm", "customers")["updated_at"] == (high_water + timedelta(minutes=1)).isoformat()
