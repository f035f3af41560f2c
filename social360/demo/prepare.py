"""Put a generated data set into the demo sources, resetting the warehouse when the data set changes."""

from __future__ import annotations

from datetime import datetime

from social360.core import db, warehouse
from social360.demo import generator
from social360.demo import source_databases as sources

# Everything the pipeline derives from the sources; dropped when the demo data set is replaced.
DERIVED_SCHEMAS = ("raw", "enrichment", "audit", "staging", "intermediate", "snapshots", "marts_candidate", "marts",
                   "retired", "analytics")


def prepare_sources(*, seed: int, customers: int, posts: int, days: int, now: datetime) -> dict:
    """Write the data set into ``crm`` and ``social_demo``; a new data set starts the warehouse afresh."""
    warehouse.up()
    warehouse.ensure_source_databases()
    params = {"seed": seed, "customers": customers, "posts": posts, "days": days, "now": now.isoformat()}
    wanted = sources.generation_id(params)
    if sources.current_generation() == wanted:
        return {"generation": wanted, "message": f"demo sources already hold data set {wanted} (seed {seed})"}
    data = generator.generate(seed=seed, customers=customers, posts=posts, now=now, days=days)
    previous = sources.current_generation()
    sources.write(data, params)
    if previous is not None:
        reset_warehouse()
    return {
        "generation": wanted,
        "message": (
            f"demo sources: {len(data.customers):,} customers, {len(data.orders):,} orders, "
            f"{len(data.tickets):,} tickets, {len(data.posts):,} social posts (seed {seed}, data set {wanted})"
            + ("; the warehouse was reset for the new data set" if previous is not None else "")
        ),
    }


def reset_warehouse() -> None:
    """Drop everything derived from the sources, then recreate the empty schemas."""
    from psycopg import sql

    url = warehouse.url()
    with db.connect(url, autocommit=True) as conn:
        for schema in DERIVED_SCHEMAS:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        db.migrate(conn)
