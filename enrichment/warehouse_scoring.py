"""Score the social posts in the warehouse that have no score for this version of their content."""

from __future__ import annotations

import logging

from psycopg import sql

from enrichment.scorer import Scorer
from extractors import registry
from social360.core import db

log = logging.getLogger(__name__)

# How each raw social table's text is read is declared by its source (``text_of`` in the registry).


def score_new_posts(*, warehouse_url: str | None = None, batch_size: int = 20000,
                    workers: int | None = None) -> dict[str, int]:
    """Score every landed version of every post that this scorer version has not scored yet.

    Every version, not a "latest" one: which version of a post is current is decided once, in dbt
    staging (``latest_version``), which then finds the score of whichever version it chose.

    Posts are read in batches of ``batch_size`` and scored with the batch path
    (``Scorer.score_many``: a process pool over ``workers`` cores for large batches).
    """
    counts: dict[str, int] = {}
    with Scorer() as scorer, db.connect(warehouse_url) as conn:
        for table, text_sql in registry.text_of().items():
            query = sql.SQL(
                """
                SELECT r.native_id, r.payload_hash, {text}
                FROM raw.{table} AS r
                WHERE NOT r.is_deleted AND NOT EXISTS (
                    SELECT 1 FROM enrichment.post_scores s
                    WHERE s.source_table = %(table)s AND s.native_id = r.native_id
                      AND s.payload_hash = r.payload_hash AND s.scorer_version = %(version)s
                )
                """
            ).format(text=sql.SQL(text_sql), table=sql.Identifier(table))
            scored = 0
            with conn.cursor(name=f"unscored_{table}") as reader:
                reader.execute(query, {"table": table, "version": scorer.version})
                while batch := reader.fetchmany(batch_size):
                    scored += _write_scores(conn, table, scorer, batch, workers)
            conn.commit()
            counts[table] = scored
    log.info("scored posts: %s", counts)
    return counts


def _write_scores(conn, table: str, scorer: Scorer, batch, workers: int | None) -> int:
    scores = scorer.score_many([text or "" for _, _, text in batch], workers=workers)
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS _new_scores (LIKE enrichment.post_scores INCLUDING DEFAULTS) "
            "ON COMMIT DELETE ROWS"
        )
        with cur.copy(
            "COPY _new_scores (source_table, native_id, payload_hash, scorer_version, sentiment_score, "
            "sentiment_label, intent, language) FROM STDIN"
        ) as copy:
            for (native_id, payload_hash, _), s in zip(batch, scores):
                copy.write_row((table, native_id, payload_hash, s.scorer_version, s.sentiment_score,
                                s.sentiment_label, s.intent, s.language))
        cur.execute("INSERT INTO enrichment.post_scores SELECT * FROM _new_scores ON CONFLICT DO NOTHING")
        inserted = cur.rowcount
        cur.execute("TRUNCATE _new_scores")
        return inserted
