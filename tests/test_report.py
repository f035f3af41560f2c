"""The HTML report: built from the published marts only, self-contained, and drawn in a real browser."""

from __future__ import annotations

import io
import re

import psycopg
import pytest

from social360 import config, pipeline, publish
from social360.report import build_report
from tests.demo_data import NOW, load_demo

TITLES = [
    "Sentiment over time per channel",
    "Share of negative posts",
    "Intent mix per channel",
    "First response p50 / p90 over time",
    "First response distribution per channel with the SLA line",
    "SLA breach rate by brand account",
    "Top of the priority queue",
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
