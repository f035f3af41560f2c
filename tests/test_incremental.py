"""Incremental models: a run after 1% new data rebuilds only what changed, and gives exactly the
rows a --full-refresh build gives."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from social360.core.catalog import PUBLISHED_MARTS
from social360.orchestration import stages as pipeline
from tests.demo_data import NOW, load_demo

AS_OF = NOW.isoformat()
LATER = (NOW + timedelta(hours=2)).isoformat()  # the increment's build: waiting customers waited longer


def _contents(url: str, relation: str, exclude: tuple[str, ...] = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema || '.' || table_name = %s "
            "ORDER BY ordinal_position", (relation,)) if r[0] not in exclude]
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM {relation}").fetchall()
    return sorted(rows, key=repr)


def _land_and_score(run_id: str) -> None:
    pipeline.extract_social_source("demo", run_id)
    for table in pipeline.crm_tables():
        pipeline.sync_crm_table(table, run_id)
    pipeline.enrich()


def test_incremental_build_equals_full_refresh(databases):
    data = load_demo(seed=17, customers=120, posts=1500, days=30)
    total = len(data.posts) + len(data.brand_posts_fb)
    held_back = max(15, total // 100)
    with psycopg.connect(databases.demo_url) as src:  # the newest 1% of the feed has not happened yet
        late = src.execute(
            "DELETE FROM events WHERE seq > (SELECT max(seq) FROM events) - %s "
            "RETURNING object_type, native_id, payload::text, context::text, occurred_at", (held_back,)
        ).fetchall()
    _land_and_score("base")
    summary = pipeline.build_models(as_of=AS_OF)
    assert summary["success"], summary
    with psycopg.connect(databases.warehouse_url) as conn:
        base_posts = conn.execute("SELECT count(*), max(built_at) FROM intermediate.int_social_posts").fetchone()

    with psycopg.connect(databases.demo_url) as src:  # ... now it happens, and the CRM changes a little
        src.cursor().executemany(
            "INSERT INTO events (object_type, native_id, payload, context, occurred_at) VALUES (%s, %s, %s, %s, %s)",
            late,
        )
    with psycopg.connect(databases.crm_url) as crm:
        crm.execute("UPDATE customers SET segment = 'enterprise', updated_at = %s WHERE customer_id IN (3, 4)",
                    (NOW + timedelta(minutes=1),))
        crm.execute("UPDATE orders SET status = 'refunded', updated_at = %s WHERE order_id = "
                    "(SELECT min(order_id) FROM orders)", (NOW + timedelta(minutes=1),))
    _land_and_score("increment")
    # no lookback: in this test the base build ran seconds ago, and everything would be "late"
    summary = pipeline.build_models(as_of=LATER, dbt_vars={"incremental_lookback_minutes": 0})
    assert summary["success"], summary
    url = databases.warehouse_url
    with psycopg.connect(url) as conn:
        rebuilt, all_posts = conn.execute(
            "SELECT count(*) FILTER (WHERE built_at > %s), count(*) FROM intermediate.int_social_posts",
            (base_posts[1],)).fetchone()
    assert all_posts == base_posts[0] + len(late)
    assert 0 < rebuilt < all_posts * 0.15, "an incremental run rebuilds only the threads that changed"

    incremental = {m: _contents(url, f"marts_candidate.{m}") for m in PUBLISHED_MARTS}
    incremental_posts = _contents(url, "intermediate.int_social_posts", exclude=("built_at",))
    incremental_interactions = _contents(url, "intermediate.int_interactions", exclude=("source_changed_at",))
    # build stamps: an answered post keeps the measurement of the build that last changed it
    incremental_waits = _contents(url, "intermediate.int_conversation_waits", exclude=("thread_built_at",))
    incremental_sla = _contents(url, "intermediate.int_inbound_response_sla", exclude=("measured_at",))

    summary = pipeline.build_models(as_of=LATER, full_refresh=True)
    assert summary["success"], summary
    for mart in PUBLISHED_MARTS:
        assert _contents(url, f"marts_candidate.{mart}") == incremental[mart], mart
    assert _contents(url, "intermediate.int_social_posts", exclude=("built_at",)) == incremental_posts
    assert _contents(url, "intermediate.int_interactions", exclude=("source_changed_at",)) == incremental_interactions
    assert _contents(url, "intermediate.int_conversation_waits", exclude=("thread_built_at",)) == incremental_waits
    assert _contents(url, "intermediate.int_inbound_response_sla", exclude=("measured_at",)) == incremental_sla
