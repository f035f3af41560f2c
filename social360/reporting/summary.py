"""What was built: row counts, gate results, sentiment and response times, read from the warehouse."""

from __future__ import annotations

from typing import Any

from psycopg import sql

from social360.core import db, warehouse
from social360.core.catalog import published_marts, raw_tables


def published_status(url: str | None = None) -> dict[str, dict[str, Any]]:
    """Per mart: last published version, when and how many rows; the last gate's verdict, when,
    which run, its failed expectations (errors, with observed values) and warnings, and the link
    to its Great Expectations Data Docs; and the last publish attempt that did not go through."""
    with db.connect(url) as conn:
        published = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT DISTINCT ON (mart) mart, version, logged_at, row_count, run_id FROM audit.publish_log "
                "WHERE published ORDER BY mart, id DESC"
            )
        }
        refused = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT DISTINCT ON (mart) mart, published, reason, logged_at FROM audit.publish_log "
                "ORDER BY mart, id DESC"
            )
        }
        gates = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT DISTINCT ON (mart) mart, success, checked_at, failures, run_id, data_docs_url, evaluated "
                "FROM audit.gate_results ORDER BY mart, id DESC"
            )
        }
    status = {}
    for mart in dict.fromkeys([*published_marts(), *published, *gates]):
        version, published_at, rows, published_run = published.get(mart, (None, None, None, None))
        passed, checked_at, failures, run_id, docs_url, evaluated = gates.get(mart, (None, None, [], None, None, None))
        last_published, last_reason, last_at = refused.get(mart, (True, None, None))
        status[mart] = {
            "version": version,
            "published_at": published_at.isoformat() if published_at else None,
            "published_rows": rows,
            "published_run": published_run,
            "last_gate_passed": passed,
            "last_gate_at": checked_at.isoformat() if checked_at else None,
            "last_gate_run": run_id,
            "last_gate_checks": evaluated,
            "failed_expectations": [f"{f['expectation']} (observed: {f.get('observed')})"
                                    for f in failures or [] if f.get("severity") == "error"],
            "warnings": [f"{f['expectation']} (observed: {f.get('observed')})"
                         for f in failures or [] if f.get("severity") == "warning"],
            "data_docs_url": docs_url,
            "not_published_reason": None if last_published else last_reason,
        }
    return status


def table_counts(url: str | None = None) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    with db.connect(url) as conn:
        for table in raw_tables():
            counts[f"raw.{table}"] = db.count_rows(conn, "raw", table)
        for mart in published_marts():
            counts[f"marts.{mart}"] = (
                db.count_rows(conn, db.PUBLISHED_SCHEMA, mart) if db.table_exists(conn, db.PUBLISHED_SCHEMA, mart) else None
            )
    return counts


def sentiment_by_channel(url: str | None = None) -> list[dict[str, Any]]:
    with db.connect(url) as conn:
        if not db.table_exists(conn, db.PUBLISHED_SCHEMA, "mart_sentiment"):
            return []
        rows = conn.execute(
            """
            SELECT channel, sum(post_count), round(sum(avg_sentiment_score * scored_post_count)
                   / nullif(sum(scored_post_count), 0), 3),
                   round(sum(negative_count)::numeric / nullif(sum(scored_post_count), 0), 3)
            FROM marts.mart_sentiment GROUP BY channel ORDER BY channel
            """
        ).fetchall()
    return [{"channel": r[0], "posts": int(r[1]), "avg_sentiment": float(r[2] or 0), "negative_share": float(r[3] or 0)}
            for r in rows]


def _minutes(value) -> float | None:
    return round(float(value), 1) if value is not None else None


def response_times_by_channel(url: str | None = None) -> list[dict[str, Any]]:
    """First response per channel: p50/p90 in business minutes (the clock of most SLAs: support hours
    only) and in calendar minutes, and the share of posts that breached their SLA in its own clock."""
    with db.connect(url) as conn:
        if not db.table_exists(conn, db.PUBLISHED_SCHEMA, "mart_response_times"):
            return []
        rows = conn.execute(
            sql.SQL(
                """
                SELECT channel, count(*), count(first_response_at),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_business_minutes),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response_business_minutes),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_calendar_minutes),
                       percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response_calendar_minutes),
                       avg(CASE WHEN is_sla_breached THEN 1.0 ELSE 0 END)
                FROM marts.mart_response_times GROUP BY channel ORDER BY channel
                """
            )
        ).fetchall()
    return [
        {
            "channel": r[0],
            "inbound": r[1],
            "answered": r[2],
            "p50_business_minutes": _minutes(r[3]),
            "p90_business_minutes": _minutes(r[4]),
            "p50_calendar_minutes": _minutes(r[5]),
            "p90_calendar_minutes": _minutes(r[6]),
            "sla_breach_rate": round(float(r[7]), 3),
        }
        for r in rows
    ]


def full_summary(url: str | None = None) -> dict[str, Any]:
    return {
        "tables": table_counts(url),
        "marts": published_status(url),
        "sentiment": sentiment_by_channel(url),
        "response_times": response_times_by_channel(url),
        "bi_url": redact_url(warehouse.bi_url()),
    }


def redact_url(url: str) -> str:
    """The BI URL with its password replaced (it is in $SOCIAL360_HOME/warehouse/server.json)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url


def render(summary: dict[str, Any], console: Any = None) -> None:
    """Print the summary as tables (on ``console``, else stdout; never cut at 80 columns when piped)."""
    from rich.table import Table

    from social360.reporting.console import console as wide_console

    console = console or wide_console()
    counts = Table(title="Rows")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for table, n in summary["tables"].items():
        counts.add_row(table, "-" if n is None else f"{n:,}")
    console.print(counts)

    gates = Table(title="Published marts")
    for col in ("mart", "version", "published at", "last gate", "failed expectations"):
        gates.add_column(col)
    for mart, s in summary["marts"].items():
        verdict = {True: "[green]passed[/]", False: "[red]blocked[/]", None: "-"}[s["last_gate_passed"]]
        gates.add_row(mart, str(s["version"] or "-"), s["published_at"] or "-", verdict,
                      "; ".join(s["failed_expectations"]) or "")
    console.print(gates)

    sentiment = Table(title="Sentiment by channel (inbound posts)")
    for col in ("channel", "posts", "avg sentiment", "negative share"):
        sentiment.add_column(col)
    for row in summary["sentiment"]:
        sentiment.add_row(row["channel"], f"{row['posts']:,}", f"{row['avg_sentiment']:+.3f}", f"{row['negative_share']:.1%}")
    console.print(sentiment)

    response = Table(title="First response by channel (business minutes count support hours only)")
    for col in ("channel", "inbound", "answered", "p50 business min", "p90 business min", "p50 calendar min",
                "p90 calendar min", "SLA breached"):
        response.add_column(col)
    for row in summary["response_times"]:
        response.add_row(row["channel"], f"{row['inbound']:,}", f"{row['answered']:,}",
                         *(str(row[f"p{q}_{clock}_minutes"]) for clock in ("business", "calendar") for q in (50, 90)),
                         f"{row['sla_breach_rate']:.1%}")
    console.print(response)
    console.print(f"BI tools connect to: [bold]{summary['bi_url']}[/] (role bi_reader, schema marts)")
