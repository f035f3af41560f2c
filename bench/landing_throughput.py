"""Raw landing throughput, side by side with a bare COPY and with pandas ``to_sql``.

    python -m bench.landing_throughput [--posts 200000] [--rounds 3] [--scale 1]

The same generated posts (X API v2 tweet objects with their extraction context) are written
three ways, one after the other in each round, into empty tables:

- the project's landing (``extractors.landing.land_page``: COPY into a staging table, hash,
  insert-if-new into ``raw.x_tweets`` with its unique key and index, cursor saved in the same
  transaction, pages of 5,000 as the extractors use);
- baseline: a bare ``COPY`` of the same (id, payload, hash) rows into an unindexed table;
- baseline: ``pandas.DataFrame.to_sql`` with default settings (SQLAlchemy, row inserts).

Targets: landing >= 0.5x the bare COPY; landing >= 10x ``to_sql``.
"""

from __future__ import annotations

import argparse
import json
import time

from bench.common import Figure, bench_warehouse, machine, print_table

PAGE = 5000


def make_posts(n: int) -> list[tuple[str, dict, dict]]:
    """n distinct tweets as (id, payload, context), in the shapes the X extractor lands."""
    base = 1_900_000_000_000_000_000
    posts = []
    for i in range(n):
        tweet_id = str(base + i * 7919)
        payload = {
            "id": tweet_id,
            "text": f"@AcmeHelp my order #{100000 + i % 900000} still hasn't arrived, day {i % 30} of waiting 😡",
            "edit_history_tweet_ids": [tweet_id],
            "author_id": str(700000000 + i % 50000),
            "created_at": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00.000Z",
            "conversation_id": str(base + (i - i % 3) * 7919),
            "lang": "en",
            "public_metrics": {"retweet_count": i % 3, "reply_count": i % 5, "like_count": i % 11, "quote_count": 0},
        }
        context = {"brand_user_id": "9100000001", "brand_username": "AcmeHelp", "stream": "mentions",
                   "author": {"id": payload["author_id"], "username": f"user{i % 50000}", "name": "A Customer"}}
        posts.append((tweet_id, payload, context))
    return posts


def run_landing(url: str, posts) -> float:
    from extractors.landing import RawRecord, land_page
    from social360.core import db

    with db.connect(url) as conn:
        conn.execute("TRUNCATE raw.x_tweets; DELETE FROM raw.extract_state WHERE source = 'bench'")
        conn.commit()
        start = time.perf_counter()
        for offset in range(0, len(posts), PAGE):
            page = posts[offset:offset + PAGE]
            land_page(conn, table="x_tweets", run_id="bench", source="bench", stream="mentions",
                      cursor={"since_id": page[-1][0]},
                      records=(RawRecord(tid, payload, context=context) for tid, payload, context in page))
            conn.commit()
        elapsed = time.perf_counter() - start
        landed = conn.execute("SELECT count(*) FROM raw.x_tweets").fetchone()[0]
    assert landed == len(posts), (landed, len(posts))
    return elapsed


def run_bare_copy(url: str, posts) -> float:
    import psycopg

    from extractors.landing import canonical_json, payload_hash

    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_scratch.bench_copy")
        conn.execute("CREATE TABLE bench_scratch.bench_copy (native_id text, payload jsonb, payload_hash text)")
        conn.commit()
        start = time.perf_counter()
        copy_sql = "COPY bench_scratch.bench_copy (native_id, payload, payload_hash) FROM STDIN"
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            for tid, payload, _context in posts:
                copy.write_row((tid, canonical_json(payload), payload_hash(payload)))
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_scratch.bench_copy")
        conn.commit()
    return elapsed


def run_to_sql(url: str, posts) -> float:
    import pandas as pd
    import sqlalchemy

    from expectations.gate import sqlalchemy_url
    from extractors.landing import canonical_json, payload_hash

    engine = sqlalchemy.create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS bench_scratch.bench_to_sql")
        start = time.perf_counter()  # like the other two paths, from the posts as Python objects
        frame = pd.DataFrame(
            {"native_id": [p[0] for p in posts], "payload": [canonical_json(p[1]) for p in posts],
             "payload_hash": [payload_hash(p[1]) for p in posts]}
        )
        frame.to_sql("bench_to_sql", engine, schema="bench_scratch", index=False)
        elapsed = time.perf_counter() - start
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE bench_scratch.bench_to_sql")
    finally:
        engine.dispose()
    return elapsed


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    n = max(1000, int(args.posts * args.scale))
    posts = make_posts(n)
    to_sql_n = min(n, 20_000)  # row-at-a-time inserts: a sample is enough for a rate
    rates = {"landing": [], "copy": [], "to_sql": []}
    with bench_warehouse() as url:
        from social360.core import db

        db.connect(url).close()
        with __import__("psycopg").connect(url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS bench_scratch")
        for _ in range(args.rounds):
            rates["landing"].append(n / run_landing(url, posts))
            rates["copy"].append(n / run_bare_copy(url, posts))
            rates["to_sql"].append(to_sql_n / run_to_sql(url, posts[:to_sql_n]))
    best = {k: max(v) for k, v in rates.items()}
    figures = [
        Figure("landing / bare COPY (rows/s ratio)", best["landing"] / best["copy"], ">= 0.5",
               best["landing"] / best["copy"] >= 0.5,
               f"landing {best['landing']:,.0f} rows/s, COPY {best['copy']:,.0f} rows/s, {n:,} posts"),
        Figure("landing / pandas to_sql (rows/s ratio)", best["landing"] / best["to_sql"], ">= 10",
               best["landing"] / best["to_sql"] >= 10,
               f"to_sql {best['to_sql']:,.0f} rows/s on {to_sql_n:,} posts"),
    ]
    print_table(f"Landing ({machine()})", figures)
    print(json.dumps({k: [round(x) for x in v] for k, v in rates.items()}))
    return figures


if __name__ == "__main__":
    main()
