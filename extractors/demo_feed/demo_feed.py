"""The demo social source: an ordered feed of X and Facebook API objects in database ``social_demo``.

Read incrementally by sequence number; each page lands into the same raw tables as the
real X and Facebook extractors, with its cursor, in one transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import psycopg

from extractors.base import StreamResult, record_run
from extractors.landing import RawRecord, land, load_cursor, save_cursor
from social360.core import config, db

SOURCE = "demo_social"
STREAM = "events"
TABLE_BY_TYPE = {"x_tweet": "x_tweets", "facebook_post": "facebook_posts", "facebook_comment": "facebook_comments"}


def has_data(source_url: str | None = None) -> bool:
    """True when the demo feed holds a generated data set (false when its database or table is
    missing, as on an external warehouse that never ran the demo)."""
    try:
        with psycopg.connect(source_url or db.source_url(config.DEMO_SOCIAL_DB), connect_timeout=5) as src:
            return src.execute("SELECT 1 FROM generation LIMIT 1").fetchone() is not None
    except psycopg.Error:
        return False


def extract(run_id: str, *, page_size: int = 5000, warehouse_url: str | None = None,
            source_url: str | None = None) -> StreamResult:
    """Land every feed event after the saved cursor; return what was read and landed."""
    result = StreamResult(SOURCE, STREAM)
    source_url = source_url or db.source_url(config.DEMO_SOCIAL_DB)
    with psycopg.connect(source_url) as src, db.connect(warehouse_url) as wh:
        generation = src.execute("SELECT generation_id FROM generation").fetchone()
        if generation is None:
            result.status, result.message = "empty", "the demo source holds no data: run `social360 demo`"
            record_run(wh, result, run_id)
            wh.commit()
            return result
        cursor = load_cursor(wh, SOURCE, STREAM) or {}
        last_seq = cursor.get("seq", 0) if cursor.get("generation") == generation[0] else 0
        while True:
            rows = src.execute(
                "SELECT seq, object_type, native_id, payload, context, occurred_at FROM events "
                "WHERE seq > %s ORDER BY seq LIMIT %s",
                (last_seq, page_size),
            ).fetchall()
            if not rows:
                break
            by_table: dict[str, list[RawRecord]] = defaultdict(list)
            for _seq, object_type, native_id, payload, context, occurred_at in rows:
                by_table[TABLE_BY_TYPE[object_type]].append(
                    RawRecord(native_id, payload, source_updated_at=_as_dt(occurred_at), context=context)
                )
            last_seq = rows[-1][0]
            with wh.transaction():
                landed = sum(land(wh, table, records, run_id) for table, records in by_table.items())
                save_cursor(wh, SOURCE, STREAM, {"generation": generation[0], "seq": last_seq}, run_id)
            result.add_page(len(rows), landed)
        record_run(wh, result, run_id)
        wh.commit()
    return result


def _as_dt(value) -> datetime | None:
    return value if isinstance(value, datetime) else None
