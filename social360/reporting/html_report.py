"""The HTML report a support lead opens every morning, built from the published marts only.

One self-contained file (Plotly's JavaScript embedded, no network needed) under
``$SOCIAL360_HOME/reports/``: the last 7 days' headline numbers against the 7 before, sentiment over
time per channel, the share of negative posts (7-day rolling), first-response p50/p90 over time in
business minutes, the response-time distribution per SLA rule in the rule's clock (business or
calendar minutes) with its target, breach rate by brand account, intent mix, the top of the
priority queue, the posts whose SLA falls due within the hour, and the tier-A customers whose
recent sentiment is most negative. It states when each mart was published and whether its last
gate passed; a mart whose gate failed is shown at its last good version with a warning.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from social360.core import config, db
from social360.reporting.report_metrics import Headline, due_soon_table, headlines
from social360.reporting.report_metrics import frame as _frame

REPORT_MARTS = ("mart_sentiment", "mart_response_times", "mart_response_times_daily", "mart_priority_queue",
                "dim_customers")
CHANNEL_COLORS = {"twitter": "#1d9bf0", "facebook": "#4267b2", "forum": "#f08c00"}


@dataclass
class Chart:
    title: str
    figure: Any  # plotly Figure, or None when the mart has no data yet
    note: str = ""


def _published(conn, mart: str) -> bool:
    return db.table_exists(conn, db.PUBLISHED_SCHEMA, mart)


def _color(channel: str) -> str | None:
    return CHANNEL_COLORS.get(channel)


def _layout(fig, title: str, y_title: str = "", x_title: str = ""):
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2},
        yaxis_title=y_title,
        xaxis_title=x_title,
    )
    return fig


def sentiment_charts(conn) -> list[Chart]:
    import plotly.graph_objects as go

    if not _published(conn, "mart_sentiment"):
        return [Chart("Sentiment over time per channel", None), Chart("Share of negative posts (7-day rolling)", None),
                Chart("Intent mix per channel", None)]
    # the negative share over the trailing 7 days (this day and the 6 before): a day has too few posts
    daily = _frame(conn, """
        WITH days AS (
            SELECT activity_date, channel, sum(avg_sentiment_score * scored_post_count) AS sentiment_sum,
                   sum(negative_count) AS negative, sum(scored_post_count) AS scored
            FROM marts.mart_sentiment GROUP BY 1, 2
        )
        SELECT activity_date, channel, sentiment_sum / nullif(scored, 0) AS sentiment,
               sum(negative) OVER week::float / nullif(sum(scored) OVER week, 0) AS negative_share_7d
        FROM days
        WINDOW week AS (PARTITION BY channel ORDER BY activity_date
                        RANGE BETWEEN interval '6 days' PRECEDING AND CURRENT ROW)
        ORDER BY 1, 2""")
    mix = _frame(conn, """
        SELECT channel, sum(complaint_count) AS complaint, sum(question_count) AS question,
               sum(praise_count) AS praise,
               sum(post_count) - sum(complaint_count) - sum(question_count) - sum(praise_count) AS other
        FROM marts.mart_sentiment GROUP BY 1 ORDER BY 1""")
    sentiment = go.Figure()
    negative = go.Figure()
    for channel, rows in daily.groupby("channel"):
        sentiment.add_trace(go.Scatter(x=rows.activity_date, y=rows.sentiment.astype(float), mode="lines+markers",
                                       name=channel, line={"color": _color(channel)}))
        negative.add_trace(go.Scatter(x=rows.activity_date, y=rows.negative_share_7d.astype(float) * 100,
                                      mode="lines", name=channel, line={"color": _color(channel)}))
    sentiment.add_hline(y=0, line_dash="dot", line_color="#888")
    intents = go.Figure()
    for intent, color in (("complaint", "#d62728"), ("question", "#1f77b4"), ("praise", "#2ca02c"),
                          ("other", "#9e9e9e")):
        intents.add_trace(go.Bar(x=mix.channel, y=mix[intent].astype(float), name=intent, marker_color=color))
    intents.update_layout(barmode="stack")
    return [
        Chart("Sentiment over time per channel", _layout(sentiment, "Sentiment over time per channel",
                                                          "mean sentiment (-1..1)")),
        Chart("Share of negative posts (7-day rolling)",
              _layout(negative, "Share of negative posts (7-day rolling)", "% of inbound posts, last 7 days")),
        Chart("Intent mix per channel", _layout(intents, "Intent mix per channel", "inbound posts")),
    ]


ACCOUNT_SHADES = ("#1d9bf0", "#0b5394", "#4267b2", "#8e44ad", "#f08c00", "#2ca02c", "#d62728")


def _response_over_time(conn):
    """p50/p90 first response per brand account and day, in business minutes, as the daily mart has them."""
    import plotly.graph_objects as go

    daily = _frame(conn, """
        SELECT received_date, channel, brand_account, p50_first_response_business_minutes AS p50,
               p90_first_response_business_minutes AS p90
        FROM marts.mart_response_times_daily ORDER BY 1, 2, 3""")
    figure = go.Figure()
    for number, ((channel, account), rows) in enumerate(daily.groupby(["channel", "brand_account"])):
        color = ACCOUNT_SHADES[number % len(ACCOUNT_SHADES)]
        for column, dash in (("p50", "solid"), ("p90", "dash")):
            answered = rows[rows[column].notna()]
            figure.add_trace(go.Scatter(x=answered.received_date, y=answered[column].astype(float),
                                        name=f"{account} ({channel}) {column}", mode="lines",
                                        line={"color": color, "dash": dash}))
    title = "First response p50 / p90 over time (business minutes)"
    return Chart(title, _layout(figure, title, "business minutes"),
                 note="Business minutes count the channel's support hours only.")


def _response_distribution(conn, responses):
    """One box per SLA rule (channel and priority) in the rule's own clock, its target marked on its row."""
    import plotly.graph_objects as go

    figure = go.Figure()
    upper = 0.0
    for (channel, priority, business, target), rows in responses.groupby(
            ["channel", "priority", "sla_in_business_hours", "sla_target_minutes"]):
        unit = "business min" if business else "calendar min"
        row = f"{channel} {priority}"
        minutes = rows.minutes.dropna().astype(float)
        figure.add_trace(go.Box(x=minutes, y=[row] * len(minutes), name=f"{row} ({unit})", boxpoints=False,
                                orientation="h", marker_color=_color(channel)))
        figure.add_trace(go.Scatter(x=[float(target)], y=[row], mode="markers+text", showlegend=False,
                                    marker={"symbol": "line-ns-open", "size": 26, "color": "#d62728",
                                            "line": {"width": 3}},
                                    text=[f"SLA {target} {unit}"], textposition="top right",
                                    textfont={"color": "#d62728", "size": 11}, hoverinfo="text"))
        upper = max(upper, float(minutes.quantile(0.95)) if len(minutes) else 0.0, float(target) * 1.5)
    figure.update_xaxes(range=[0, upper])
    title = "First response distribution per channel with the SLA line"
    return Chart(title, _layout(figure, title, x_title="minutes to first response in the SLA's clock "
                                                       "(up to the 95th percentile)"))


def response_charts(conn) -> list[Chart]:
    import plotly.graph_objects as go

    charts: list[Chart] = []
    if _published(conn, "mart_response_times_daily"):
        charts.append(_response_over_time(conn))
    else:
        charts.append(Chart("First response p50 / p90 over time (business minutes)", None))
    if _published(conn, "mart_response_times"):
        responses = _frame(conn, """
            SELECT channel, brand_account, priority, sla_target_minutes, sla_in_business_hours, is_sla_breached,
                   CASE WHEN sla_in_business_hours THEN first_response_business_minutes
                        ELSE first_response_calendar_minutes END AS minutes
            FROM marts.mart_response_times""")
        charts.append(_response_distribution(conn, responses))
        breaches = (responses.groupby(["brand_account", "channel"]).is_sla_breached.mean() * 100).reset_index()
        breach_chart = go.Figure(go.Bar(
            x=breaches.brand_account + " (" + breaches.channel + ")", y=breaches.is_sla_breached.astype(float),
            marker_color=[_color(c) or "#d62728" for c in breaches.channel]))
        charts.append(Chart("SLA breach rate by brand account",
                            _layout(breach_chart, "SLA breach rate by brand account", "% of inbound posts")))
    else:
        charts += [Chart("First response distribution per channel with the SLA line", None),
                   Chart("SLA breach rate by brand account", None)]
    return charts


def priority_table(conn, limit: int = 15):
    if not _published(conn, "mart_priority_queue"):
        return None
    return _frame(conn, f"""
        SELECT queue_rank AS rank, channel, coalesce(customer_name, author_handle, '-') AS customer,
               coalesce(value_tier, '-') AS tier, followers, round(sentiment_score::numeric, 2) AS sentiment,
               intent, round(waiting_minutes / 60.0, 1) AS waiting_hours,
               CASE WHEN is_sla_breached THEN 'breached' ELSE 'due ' || to_char(sla_due_at, 'Mon DD HH24:MI') END AS sla,
               left(post_text, 110) AS post
        FROM marts.mart_priority_queue ORDER BY queue_rank LIMIT {int(limit)}""")


def negative_tier_a_table(conn, limit: int = 10):
    if not _published(conn, "dim_customers"):
        return None
    return _frame(conn, f"""
        SELECT full_name AS customer, segment, lifetime_value, coalesce(twitter_handle, '-') AS x_handle,
               sentiment_30d, sentiment_trend_label AS trend, social_post_count AS posts,
               complaint_count AS complaints, open_ticket_count AS open_tickets
        FROM marts.dim_customers
        WHERE priority_tier = 'A' AND sentiment_30d IS NOT NULL
        ORDER BY sentiment_30d, lifetime_value DESC LIMIT {int(limit)}""")


def _table_html(frame, empty: str) -> str:
    if frame is None:
        return f'<p class="empty">{html.escape(empty)}</p>'
    if frame.empty:
        return '<p class="empty">Nothing to show.</p>'
    return frame.to_html(index=False, classes="data", border=0, na_rep="-", escape=True)


def _headlines_html(items: list[Headline]) -> str:
    cards = []
    for item in items:
        change = item.change()
        better = item.is_better()
        tone = "" if better is None else (" good" if better else " bad")
        detail = (f'<div class="change{tone}">{html.escape(change)} ({html.escape(item.shown(item.previous))})</div>'
                  if change else "")
        cards.append(f'<div class="headline"><div class="label">{html.escape(item.label)}</div>'
                     f'<div class="value">{html.escape(item.shown(item.value))}</div>{detail}</div>')
    return f'<div class="headlines">{"".join(cards)}</div>'


def _status_html(status: dict[str, dict]) -> str:
    rows = []
    for mart in REPORT_MARTS:
        s = status.get(mart, {})
        if s.get("last_gate_passed") is False:
            verdict = '<span class="bad">last gate FAILED: showing the last good version</span>'
        elif s.get("last_gate_passed"):
            verdict = '<span class="good">last gate passed</span>'
        else:
            verdict = '<span class="bad">never validated</span>'
        docs = s.get("data_docs_url")
        link = f' · <a href="{html.escape(docs)}">data docs</a>' if docs else ""
        rows.append(
            f"<tr><td>{mart}</td><td>{s.get('version') or '-'}</td><td>{html.escape(s.get('published_at') or 'never')}"
            f"</td><td>{verdict}{link}</td></tr>"
        )
    warnings = [
        f"<li><b>{mart}</b> was not refreshed: "
        + html.escape("; ".join(status[mart].get("failed_expectations") or ["its last gate failed"])) + "</li>"
        for mart in REPORT_MARTS if status.get(mart, {}).get("last_gate_passed") is False
    ]
    banner = f'<div class="warning"><b>Warning</b><ul>{"".join(warnings)}</ul></div>' if warnings else ""
    return (banner + '<table class="data status"><tr><th>mart</th><th>version</th><th>published at</th>'
            '<th>quality gate</th></tr>' + "".join(rows) + "</table>")


STYLE = """
body { font-family: -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif; margin: 24px 32px; color: #222; }
h1 { margin-bottom: 4px; } .sub { color: #666; margin-top: 0; }
/* auto-fill, not auto-fit: the first chart is drawn while it is the grid's only card, and with
   auto-fit it would take the whole row and keep that width after the other cards arrive */
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px; }
.card { min-width: 0; border: 1px solid #e3e3e3; border-radius: 8px; padding: 8px; background: #fff; }
table.data { border-collapse: collapse; font-size: 13px; width: 100%; }
table.data th, table.data td { border-bottom: 1px solid #eee; padding: 4px 8px; text-align: left; vertical-align: top; }
table.data th { background: #f6f6f6; }
.good { color: #1a7f37; font-weight: 600; } .bad { color: #c62828; font-weight: 600; }
.warning { background: #fff4e5; border: 1px solid #f0b000; border-radius: 8px; padding: 8px 16px; margin: 12px 0; }
.headlines { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0 16px; }
.headline { border: 1px solid #e3e3e3; border-radius: 8px; padding: 8px 14px; min-width: 170px; }
.headline .label { color: #666; font-size: 12px; } .headline .value { font-size: 26px; font-weight: 600; }
.headline .change { font-size: 12px; color: #666; }
.headline .change.good { color: #1a7f37; } .headline .change.bad { color: #c62828; }
.note { color: #666; font-size: 12px; margin: 2px 8px; }
.empty { color: #888; font-style: italic; padding: 24px; }
"""


# Plotly follows the window's size only; a card can change width without the window changing (a
# scroll bar appearing, the grid reflowing), so each chart follows its own card.
RESIZE_SCRIPT = """
document.querySelectorAll('.js-plotly-plot').forEach(function (chart) {
  new ResizeObserver(function () { Plotly.Plots.resize(chart); }).observe(chart.parentElement);
});
"""


def render_html(charts: list[Chart], status: dict, queue, tier_a, generated_at: datetime,
                headline_items: list[Headline] = (), due_soon=None) -> str:
    import plotly.offline

    parts = []
    for number, chart in enumerate(charts):
        if chart.figure is None:
            body = f'<h3>{html.escape(chart.title)}</h3><p class="empty">Not published yet.</p>'
        else:
            body = chart.figure.to_html(full_html=False, include_plotlyjs=False, div_id=f"chart-{number}",
                                        config={"displaylogo": False, "responsive": True})
        note = f'<p class="note">{html.escape(chart.note)}</p>' if chart.note else ""
        parts.append(f'<div class="card">{body}{note}</div>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Social360 report</title>
<style>{STYLE}</style>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>
</head><body>
<h1>Social360: social customer care</h1>
<p class="sub">Generated {generated_at:%Y-%m-%d %H:%M UTC} from the published marts.</p>
<h2>The last 7 days</h2>
{_headlines_html(list(headline_items))}
<h2>Published marts</h2>
{_status_html(status)}
<h2>Sentiment and response times</h2>
<div class="grid">{''.join(parts)}</div>
<h2>Top of the priority queue</h2>
<div class="card">{_table_html(queue, "The priority queue is not published yet.")}</div>
<h2>SLA due within the next hour</h2>
<div class="card">{_table_html(due_soon, "The priority queue is not published yet.")}</div>
<h2>Tier-A customers with the most negative recent sentiment</h2>
<div class="card">{_table_html(tier_a, "The customer 360 is not published yet.")}</div>
<script>{RESIZE_SCRIPT}</script>
</body></html>
"""


def build_report(*, url: str | None = None, out_dir: Path | None = None) -> Path:
    """Write the report; return its path (``latest.html`` beside it always points to the newest)."""
    from social360.reporting.summary import published_status

    generated_at = datetime.now(UTC)
    with db.connect(url) as conn:
        charts = sentiment_charts(conn) + response_charts(conn)
        queue = priority_table(conn)
        tier_a = negative_tier_a_table(conn)
        headline_items = headlines(conn)
        due_soon = due_soon_table(conn)
    page = render_html(charts, published_status(url), queue, tier_a, generated_at, headline_items, due_soon)
    folder = out_dir or config.subdir("reports")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"social360-report-{generated_at:%Y%m%dT%H%M%S}.html"
    path.write_text(page, encoding="utf-8")
    (folder / "latest.html").write_text(page, encoding="utf-8")
    return path
