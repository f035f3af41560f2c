"""The documentation a run points at: dbt docs that open under file:// and describe the published
marts, and GX Data Docs that load nothing from the network and keep a bounded history."""

from __future__ import annotations

import json
import re

import pytest

from social360.core import config
from social360.core.catalog import PUBLISHED_MARTS
from social360.orchestration import stages as pipeline
from social360.transform import dbt_runner
from tests.demo_data import NOW, load_demo

CDN_REFERENCE = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def built(module_databases):
    mp = pytest.MonkeyPatch()
    for var, value in (("WAREHOUSE_URL", module_databases.warehouse_url), ("CRM_URL", module_databases.crm_url),
                       ("DEMO_SOCIAL_URL", module_databases.demo_url), ("SOCIAL360_SOURCES", "demo")):
        mp.setenv(var, value)
    load_demo(seed=17, customers=40, posts=200)
    outcome = pipeline.run_all_local("docs-run", as_of=NOW.isoformat())
    assert all(v == "published" for v in outcome["gates"].values()), outcome["gates"]
    yield module_databases, mp
    mp.undo()


@pytest.fixture(scope="module")
def dbt_docs(built):
    return dbt_runner.generate_docs()


def test_dbt_docs_are_one_static_page_describing_the_published_marts(dbt_docs):
    assert dbt_docs.name == "static_index.html" and dbt_docs.exists()
    catalog = json.loads((dbt_docs.parent / "catalog.json").read_text())
    manifest = json.loads((dbt_docs.parent / "manifest.json").read_text())
    for mart in PUBLISHED_MARTS:
        node = f"model.social360.{mart}"
        assert manifest["nodes"][node]["schema"] == "marts"
        assert catalog["nodes"][node]["metadata"]["schema"] == "marts", catalog["nodes"][node]["metadata"]
        assert len(catalog["nodes"][node]["columns"]) > 3  # the published table's columns, read from the warehouse
    page = dbt_docs.read_text(encoding="utf-8")
    assert "model.social360.mart_sentiment" in page  # manifest and catalog are inlined, no fetch under file://
    assert not CDN_REFERENCE.search(page)


@pytest.mark.browser
def test_dbt_docs_open_under_file_urls(dbt_docs):
    from tests.browser import browser_page

    with browser_page() as (page, errors):
        page.goto(dbt_docs.as_uri() + "#!/model/model.social360.mart_sentiment")
        page.wait_for_function("document.body.innerText.includes('avg_sentiment_score')", timeout=30_000)
        text = page.inner_text("body")
    assert "marts.mart_sentiment" in text
    assert "Sentiment of inbound social posts" in text


def _data_docs_pages():
    return sorted(config.subdir("data_docs").rglob("*.html"))


def test_gx_data_docs_load_nothing_from_the_network(built):
    pages = _data_docs_pages()
    assert pages
    for path in pages:
        found = CDN_REFERENCE.findall(path.read_text(encoding="utf-8"))
        assert not found, f"{path} loads {found[:3]} from the network"


def test_gx_data_docs_keep_the_configured_number_of_runs(built, tmp_path):
    _, mp = built
    settings = tmp_path / "gate.toml"
    settings.write_text("[data_docs]\nkeep_runs = 2\n")
    summary = pipeline.build_models(as_of=NOW.isoformat())  # fresh candidates to validate
    mp.setenv("SOCIAL360_GATE_CONFIG", str(settings))
    try:
        for number in range(3):
            pipeline.gate("mart_sentiment", summary, f"docs-history-{number}")
    finally:
        mp.delenv("SOCIAL360_GATE_CONFIG")
    site = config.subdir("data_docs", "mart_sentiment") / "validations"
    runs = {page.parent.parent.relative_to(site) for page in site.rglob("*.html")}
    suites = {run.parent for run in runs}
    assert len(suites) > 1  # the mart's suite and those of the relations upstream
    for suite in suites:
        kept = sorted(run.name for run in runs if run.parent == suite)
        assert kept == ["docs-history-1", "docs-history-2"], (suite, kept)
