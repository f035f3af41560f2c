"""The HTML report: built from the published marts only, self-contained, and drawn in a real browser."""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import UTC, timedelta

import psycopg
import pytest

from social360.core import config, db
from social360.orchestration import stages as pipeline
from social360.publish import publisher as publish
from social360.reporting import html_report as report_module
from social360.reporting.html_report import build_report
from social360.reporting.summary import response_times_by_channel
from tests.demo_data import NOW, load_demo

TITLES = [
    "Sentiment over time per channel",
    "Share of negative posts (7-day rolling)",
    "Intent mix per channel",
    "First response p50 / p90 over time (business minutes)",
    "First response distribution per channel with the SLA line",
    "SLA breach rate by brand account",
    "Top of the priority queue",
    "SLA due within the next hour",
    "Tier-A customers with the most negative recent sentiment",
]


@pytest.fixture(scope="module")
def report(module_databases):
    mp = pytest.MonkeyPatch()
    for var, value in (("WAREHOUSE_URL", module_databases.warehouse_url), ("CRM_URL", module_databases.crm_url),
                       ("DEMO_SOCIAL_URL", module_databases.demo_url), ("SOCIAL360_SOURCES", "demo")):
        mp.setenv(var, value)
    load_demo(seed=13, customers=80, posts=500, days=30)
    outcome = pipeline.run_all_local("report-run", as_of=NOW.isoformat())
    assert all(v == "published" for v in outcome["gates"].values()), [v for v in outcome["gates"].values() if v != "published"]
    path = build_report(out_dir=config.subdir("reports", "test"))
    yield path, module_databases
    mp.undo()


def test_report_is_one_self_contained_file_with_every_section(report):
    path, _ = report
    page = path.read_text(encoding="utf-8")
    assert path.parent.joinpath("latest.html").read_text(encoding="utf-8") == page
    text = page.replace("\\u002f", "/")  # chart titles sit in JSON, where "/" is escaped
    for title in TITLES:
        assert title in text
    assert not re.search(r"<script[^>]+src=", page), "no external scripts: it must open without a network"
    assert "Plotly" in page and len(page) > 1_000_000  # plotly.js embedded
    assert page.count("last gate passed") >= 5


def test_a_blocked_mart_shows_its_last_good_version_with_a_warning(report, use_databases):
    path, dbs = report
    with psycopg.connect(dbs.warehouse_url) as conn:
        before = conn.execute("SELECT count(*) FROM marts.mart_sentiment").fetchone()[0]
    publish.record_blocked("mart_sentiment", run_id="bad-run", reason="mart_sentiment: blocked by test")
    with psycopg.connect(dbs.warehouse_url) as conn:
        conn.execute(
            "INSERT INTO audit.gate_results (run_id, mart, suite, success, evaluated, failed_errors, failed_warnings, "
            "failures) VALUES ('bad-run', 'mart_sentiment', 'mart_sentiment_suite', false, 9, 1, 0, "
            "'[{\"expectation\": \"expect_column_values_to_be_unique(column=sentiment_key)\", \"severity\": \"error\", "
            "\"observed\": 3}]')"
        )
    page = build_report(out_dir=config.subdir("reports", "test-blocked")).read_text(encoding="utf-8")
    assert "last gate FAILED: showing the last good version" in page
    assert "expect_column_values_to_be_unique(column=sentiment_key)" in page
    with psycopg.connect(dbs.warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM marts.mart_sentiment").fetchone()[0] == before


@pytest.mark.browser
def test_report_renders_its_charts_in_chromium(report):
    from PIL import Image

    from tests.browser import browser_page

    path, _ = report
    with browser_page() as (page, errors):
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6")
        shot = config.subdir("reports", "test") / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        assert errors == []
        headings = page.locator("h2, h3, .gtitle").all_text_contents()
        for title in TITLES:
            assert any(title in h for h in headings), title
        charts = page.locator(".js-plotly-plot")
        assert charts.count() == 6
        for index in range(charts.count()):
            chart = charts.nth(index)
            assert chart.locator(".main-svg path").count() > 5
            image = Image.open(io.BytesIO(chart.screenshot())).convert("RGB")
            colors = image.getcolors(maxcolors=1_000_000)
            non_white = sum(n for n, rgb in colors if sum(rgb) < 720)
            assert len(colors) > 50 and non_white / (image.width * image.height) > 0.02, f"chart {index} looks blank"
        rows = page.locator("table.data").nth(1).locator("tr")
        assert rows.count() > 5  # the priority queue has entries
    assert shot.stat().st_size > 50_000


CHART_BOXES = """() => [...document.querySelectorAll('.card')].filter(c => c.querySelector('.js-plotly-plot')).map(card => {
    card.scrollIntoView({block: 'center'});  // elementFromPoint sees the viewport only
    const box = card.getBoundingClientRect();
    const svg = card.querySelector('.main-svg').getBoundingClientRect();
    const area = card.querySelector('.nsewdrag').getBoundingClientRect();  // the plotting area
    const probe = document.elementFromPoint(area.right - 3, area.top + area.height / 2);
    return {title: card.querySelector('.gtitle').textContent, card: [box.left, box.right], svg: [svg.left, svg.right],
            area_right_visible: card.contains(probe)};
})"""


@pytest.mark.browser
def test_every_chart_fits_its_card_and_shows_its_whole_time_axis(report):
    from tests.browser import browser_page

    path, _ = report
    with browser_page() as (page, errors):
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6")
        page.wait_for_timeout(300)
        boxes = page.evaluate(CHART_BOXES)
    assert len(boxes) == 6
    for box in boxes:
        (card_left, card_right), (svg_left, svg_right) = box["card"], box["svg"]
        assert card_left <= svg_left and svg_right <= card_right, f"{box['title']} is drawn wider than its card: {box}"
        assert box["area_right_visible"], f"the right end of {box['title']} is hidden behind another element"


def _chart(conn, title_start: str):
    charts = report_module.sentiment_charts(conn) + report_module.response_charts(conn)
    return next(chart.figure for chart in charts if chart.title.startswith(title_start))


def test_response_times_are_shown_in_the_clock_of_their_sla(report, use_databases):
    """Each box holds the posts of one SLA rule, measured in that rule's clock and labelled with it."""
    with db.connect() as conn:
        figure = _chart(conn, "First response distribution")
        boxes = [trace for trace in figure.data if trace.type == "box"]
        assert boxes
        clocks = set()
        for box in boxes:
            match = re.fullmatch(r"(\w+) (\w+) \((business|calendar) min\)", box.name)
            assert match, f"the box {box.name!r} does not say which clock it uses"
            channel, priority, clock = match.groups()
            clocks.add(clock)
            measured = conn.execute(
                f"SELECT first_response_{clock}_minutes, sla_in_business_hours FROM marts.mart_response_times "
                "WHERE channel = %s AND priority = %s AND is_answered ORDER BY 1", (channel, priority)).fetchall()
            assert {business for _, business in measured} == {clock == "business"}
            assert sorted(float(x) for x in box.x) == [float(m) for m, _ in measured]
        assert clocks == {"business", "calendar"}  # the demo's twitter high-priority SLA is in calendar minutes


def test_first_response_over_time_reads_business_minutes_per_brand_account(report, use_databases):
    with db.connect() as conn:
        figure = _chart(conn, "First response p50 / p90 over time")
        assert "business minutes" in figure.layout.yaxis.title.text
        daily = conn.execute("SELECT brand_account, channel, received_date, p50_first_response_business_minutes, "
                             "p90_first_response_business_minutes FROM marts.mart_response_times_daily").fetchall()
    expected = {}
    for account, channel, day, p50, p90 in daily:
        for name, value in ((f"{account} ({channel}) p50", p50), (f"{account} ({channel}) p90", p90)):
            if value is not None:
                expected.setdefault(name, {})[str(day)] = float(value)
    drawn = {trace.name: {str(x)[:10]: y for x, y in zip(trace.x, trace.y) if y == y} for trace in figure.data}
    assert drawn == expected


def test_the_terminal_summary_labels_business_and_calendar_minutes(report, use_databases):
    rows = {row["channel"]: row for row in response_times_by_channel()}
    with db.connect() as conn:
        for channel, row in rows.items():
            for clock in ("business", "calendar"):
                p50, p90 = conn.execute(
                    f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY first_response_{clock}_minutes), "
                    f"percentile_cont(0.9) WITHIN GROUP (ORDER BY first_response_{clock}_minutes) "
                    "FROM marts.mart_response_times WHERE channel = %s", (channel,)).fetchone()
                assert row[f"p50_{clock}_minutes"] == round(float(p50), 1)
                assert row[f"p90_{clock}_minutes"] == round(float(p90), 1)


SLA_LABELS = """() => {
    const card = [...document.querySelectorAll('.card')].find(c => c.textContent.includes('First response distribution'));
    return [...card.querySelectorAll('svg text')].filter(t => t.textContent.includes('SLA') && !t.closest('.gtitle, .xtitle, .ytitle'))
        .map(t => { const r = t.getBoundingClientRect(); return {text: t.textContent, box: [r.left, r.top, r.right, r.bottom]}; });
}"""


@pytest.mark.browser
def test_the_sla_labels_do_not_overlap(report):
    from tests.browser import browser_page

    path, _ = report
    with browser_page() as (page, errors):
        page.goto(path.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 6")
        labels = page.evaluate(SLA_LABELS)
    assert len(labels) >= 3, labels
    for number, first in enumerate(labels):
        assert "business min" in first["text"] or "calendar min" in first["text"], first["text"]
        for second in labels[number + 1:]:
            (l1, t1, r1, b1), (l2, t2, r2, b2) = first["box"], second["box"]
            assert r1 <= l2 or r2 <= l1 or b1 <= t2 or b2 <= t1, f"{first['text']!r} overlaps {second['text']!r}"


def test_the_negative_share_is_a_trailing_seven_day_share(report, use_databases):
    with db.connect() as conn:
        figure = _chart(conn, "Share of negative posts")
        rows = conn.execute("SELECT activity_date, channel, negative_count, scored_post_count "
                            "FROM marts.mart_sentiment").fetchall()
    per_day = defaultdict(lambda: [0, 0])
    for day, channel, negative, scored in rows:
        per_day[channel, day][0] += negative
        per_day[channel, day][1] += scored
    for trace in figure.data:
        assert len(trace.x) > 7
        for day, share in zip(trace.x, trace.y):
            window = [per_day[trace.name, d] for d in {d for c, d in per_day if c == trace.name}
                      if day - timedelta(days=6) <= d <= day]
            negative, scored = sum(w[0] for w in window), sum(w[1] for w in window)
            assert share == pytest.approx(100.0 * negative / scored), (trace.name, day)


def test_headlines_compare_the_last_seven_days_with_the_seven_before(report, use_databases):
    with db.connect() as conn:
        headlines = {h.label: h for h in report_module.headlines(conn)}
        as_of = conn.execute("SELECT max(measured_at) FROM marts.mart_response_times").fetchone()[0]
        posts = conn.execute("SELECT activity_date, post_count, negative_count, scored_post_count "
                             "FROM marts.mart_sentiment").fetchall()
        received = conn.execute("SELECT received_at, is_sla_breached FROM marts.mart_response_times").fetchall()
    received = [(at.astimezone(UTC), breached) for at, breached in received]
    end = as_of.astimezone(UTC).date()
    current = [p for p in posts if end - timedelta(days=7) < p[0] <= end]
    previous = [p for p in posts if end - timedelta(days=14) < p[0] <= end - timedelta(days=7)]
    inbound = headlines["Inbound posts"]
    assert (inbound.value, inbound.previous) == (sum(p[1] for p in current), sum(p[1] for p in previous))
    assert inbound.value > 0 and inbound.previous > 0
    negative = headlines["Negative share"]
    assert negative.value == pytest.approx(100.0 * sum(p[2] for p in current) / sum(p[3] for p in current))
    assert negative.previous == pytest.approx(100.0 * sum(p[2] for p in previous) / sum(p[3] for p in previous))
    breached = [b for r, b in received if end - timedelta(days=7) < r.date() <= end]
    assert headlines["SLA breach rate"].value == pytest.approx(100.0 * sum(breached) / len(breached))
    page = build_report(out_dir=config.subdir("reports", "test-headlines")).read_text(encoding="utf-8")
    change = inbound.value - inbound.previous
    assert f"{change:+,} vs previous 7 days" in page


def test_due_soon_lists_the_unbreached_posts_whose_sla_falls_due_within_the_window(report, use_databases):
    with db.connect() as conn:
        queue = conn.execute("SELECT post_id, sla_due_at, is_sla_breached, measured_at "
                             "FROM marts.mart_priority_queue").fetchall()
        for window in (timedelta(hours=1), timedelta(days=3)):
            expected = sorted((due, post) for post, due, breached, measured in queue
                              if not breached and measured < due <= measured + window)
            table = report_module.due_soon_table(conn, within=window, limit=None)
            assert list(table.post_id) == [post for _, post in expected]
    assert len(expected) > 0, "the demo must have posts due within three days for this test to mean something"
