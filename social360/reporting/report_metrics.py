"""The report's headline numbers (the last 7 days against the 7 before) and its "due soon" view of
the priority queue, read from the published marts.

The period ends on the build's as-of day (``measured_at`` of ``mart_response_times``, the time the
queue and the open SLAs were measured at), so the headlines, the queue and the due times agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from social360.core import db

PERIOD_DAYS = 7


@dataclass
class Headline:
    label: str
    value: float | None
    previous: float | None = None
    unit: str = ""  # "", "%", "min"
    lower_is_better: bool | None = None  # None: neither direction is better (volumes)
    digits: int = 0

    def shown(self, number: float | None) -> str:
        if number is None:
            return "-"
        suffix = {"%": "%", "min": " min"}.get(self.unit, "")
        return f"{number:,.{self.digits}f}{suffix}"

    def change(self) -> str | None:
        """``+12 vs previous 7 days`` (percentage points for shares); None without both periods."""
        if self.value is None or self.previous is None:
            return None
        delta = self.value - self.previous
        unit = {"%": " pts", "min": " min"}.get(self.unit, "")
        number = f"{int(delta):+,}" if self.digits == 0 else f"{delta:+,.{self.digits}f}"
        return f"{number}{unit} vs previous {PERIOD_DAYS} days"

    def is_better(self) -> bool | None:
        if self.lower_is_better is None or self.value is None or self.previous is None \
                or self.value == self.previous:
            return None
        return (self.value < self.previous) == self.lower_is_better


def _published(conn, mart: str) -> bool:
    return db.table_exists(conn, db.PUBLISHED_SCHEMA, mart)


def as_of(conn) -> datetime:
    """When the published queue was measured (the build's as-of); now before anything is published."""
    if _published(conn, "mart_response_times"):
        measured = conn.execute("SELECT max(measured_at) FROM marts.mart_response_times").fetchone()[0]
        if measured is not None:
            return measured
    return datetime.now(UTC)


def _periods(conn, query: str, end: date) -> dict[str, tuple]:
    """Rows of ``query`` keyed by period ('current' or 'previous'); ``query`` reads %(end)s and %(days)s."""
    return {row[0]: row[1:] for row in conn.execute(query, {"end": end, "days": PERIOD_DAYS})}


def _number(value) -> float | None:
    return None if value is None else float(value)


def headlines(conn) -> list[Headline]:
    end = as_of(conn).astimezone(UTC).date()
    items: list[Headline] = []
    if _published(conn, "mart_sentiment"):
        sentiment = _periods(conn, """
            SELECT CASE WHEN activity_date > %(end)s::date - %(days)s THEN 'current' ELSE 'previous' END,
                   sum(post_count), sum(avg_sentiment_score * scored_post_count) / nullif(sum(scored_post_count), 0),
                   100.0 * sum(negative_count) / nullif(sum(scored_post_count), 0)
            FROM marts.mart_sentiment
            WHERE activity_date > %(end)s::date - 2 * %(days)s AND activity_date <= %(end)s
            GROUP BY 1""", end)
        now, before = sentiment.get("current", (None,) * 3), sentiment.get("previous", (None,) * 3)
        items += [
            Headline("Inbound posts", None if now[0] is None else int(now[0]),
                     None if before[0] is None else int(before[0])),
            Headline("Mean sentiment", _number(now[1]), _number(before[1]), lower_is_better=False, digits=2),
            Headline("Negative share", _number(now[2]), _number(before[2]), "%", lower_is_better=True, digits=1),
        ]
    if _published(conn, "mart_response_times"):
        responses = _periods(conn, """
            SELECT CASE WHEN (received_at AT TIME ZONE 'UTC')::date > %(end)s::date - %(days)s
                        THEN 'current' ELSE 'previous' END,
                   100.0 * avg(CASE WHEN is_sla_breached THEN 1 ELSE 0 END),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_business_minutes)
            FROM marts.mart_response_times
            WHERE (received_at AT TIME ZONE 'UTC')::date > %(end)s::date - 2 * %(days)s
              AND (received_at AT TIME ZONE 'UTC')::date <= %(end)s
            GROUP BY 1""", end)
        now, before = responses.get("current", (None,) * 2), responses.get("previous", (None,) * 2)
        items += [
            Headline("SLA breach rate", _number(now[0]), _number(before[0]), "%", lower_is_better=True, digits=1),
            Headline("Median first response (business minutes)", _number(now[1]), _number(before[1]), "min",
                     lower_is_better=True, digits=0),
        ]
    if _published(conn, "mart_priority_queue"):
        breached, due = conn.execute("""
            SELECT count(*) FILTER (WHERE is_sla_breached),
                   count(*) FILTER (WHERE NOT is_sla_breached AND sla_due_at > measured_at
                                               AND sla_due_at <= measured_at + interval '1 hour')
            FROM marts.mart_priority_queue""").fetchone()
        items += [Headline("Breached backlog (unanswered)", breached), Headline("SLA due within the hour", due)]
    return items


def due_soon_table(conn, within: timedelta = timedelta(hours=1), limit: int | None = 15):
    """Unanswered posts not yet breached whose SLA falls due within ``within`` of the as-of, soonest first."""
    if not _published(conn, "mart_priority_queue"):
        return None
    return frame(conn, """
        SELECT to_char(sla_due_at AT TIME ZONE 'UTC', 'Mon DD HH24:MI') AS due_utc,
               round(extract(epoch FROM sla_due_at - measured_at) / 60.0) AS minutes_left,
               queue_rank AS rank, channel, post_id, coalesce(customer_name, author_handle, '-') AS customer,
               coalesce(value_tier, '-') AS tier, intent, left(post_text, 110) AS post
        FROM marts.mart_priority_queue
        WHERE NOT is_sla_breached AND sla_due_at > measured_at AND sla_due_at <= measured_at + %s
        ORDER BY sla_due_at, post_id LIMIT %s""", (within, limit))


def frame(conn, query: str, params: tuple = ()):
    """A query's rows as a pandas DataFrame (pandas is imported only when a report is drawn)."""
    import pandas as pd

    cursor = conn.execute(query, params)
    columns = [c.name for c in cursor.description]
    return pd.DataFrame(cursor.fetchall(), columns=columns)
