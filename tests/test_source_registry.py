"""The registry of sources: every stage reads one declaration per source, and a new source added
through the registry alone (a folder outside the project, and its own dbt staging folder) is
extracted, landed, scored, staged and in int_social_posts, with no edit to the project."""

from __future__ import annotations

import json
import shutil
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest

from extractors import registry

TOY_DECLARATION = '''\
"""A toy review site: the registry test's source."""

from extractors.registry import Pool, Setting, Source

SOURCE = Source(
    name="toy",
    kind="api",
    raw_tables=("toy_reviews",),
    text_of={"toy_reviews": "payload ->> 'body'"},
    extract="toy_source.toy_extract:extract",
    pool=Pool("toy_api", 1, "the toy review site"),
    secret=Setting("token", "SOCIAL360_TOY_TOKEN"),
    staging_model="stg_toy__social_posts",
)
'''

TOY_EXTRACT = '''\
"""Read the toy site's reviews and land them in raw.toy_reviews."""

import httpx

from extractors.base import StreamResult, record_run
from extractors.landing import RawRecord, land
from social360.core import db


def extract(run_id, settings):
    reviews = httpx.get(f"{settings.base_url}/reviews", headers={"Authorization": f"Bearer {settings.secret}"},
                        timeout=10).raise_for_status().json()["reviews"]
    result = StreamResult(source="toy", stream="reviews")
    with db.transaction() as conn:
        result.add_page(len(reviews), land(conn, "toy_reviews", [RawRecord(r["id"], r) for r in reviews], run_id))
        record_run(conn, result, run_id)
    return [result]
'''

TOY_SOURCES_YML = """\
version: 2
sources:
  - name: toy
    schema: raw
    tables:
      - name: toy_reviews
"""

TOY_POSTS_SQL = """\
{{ config(materialized='view') }}
with source as (
    {{ latest_version(source('toy', 'toy_reviews')) }}
)
select
    'review' as channel,
    payload ->> 'id' as post_id,
    payload ->> 'author' as author_account_id,
    cast(null as text) as author_handle,
    payload ->> 'author' as author_name,
    cast(null as bigint) as author_followers,
    'toy' as brand_account_id,
    'toy' as brand_account,
    false as is_brand_post,
    cast(null as text) as parent_post_id,
    payload ->> 'id' as conversation_id,
    cast(payload ->> 'created_at' as timestamp with time zone) as created_at,
    payload ->> 'body' as post_text,
    cast(null as text) as post_url,
    is_deleted,
    'toy_reviews' as source_table,
    native_id as source_native_id,
    payload_hash,
    extracted_at,
    payload ->> 'id' as thread_key
from source
"""

REVIEWS = [
    {"id": "r1", "author": "ann", "created_at": "2026-11-20T10:00:00Z", "body": "Terrible, the parcel never came"},
    {"id": "r2", "author": "bob", "created_at": "2026-11-21T11:00:00Z", "body": "Great service, thank you!"},
]


class ToySite(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        ok = self.path == "/reviews" and self.headers.get("Authorization") == "Bearer toy-secret"
        body = json.dumps({"reviews": REVIEWS} if ok else {"error": "unauthorized"}).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_every_stage_reads_the_project_sources_from_the_registry(airflow_ready):  # dag_support imports Airflow
    from enrichment import warehouse_scoring  # noqa: F401  (its text expressions come from the registry)
    from social360.core import catalog
    from social360.orchestration import dag_support as orchestration

    declared = registry.sources()
    assert {"x", "facebook", "discourse", "twcs", "jsonl", "demo"} <= set(declared)
    assert set(catalog.SOCIAL_RAW_TABLES) == {t for s in declared.values() for t in s.raw_tables}
    assert {"x_api", "facebook_graph", "discourse"} <= set(orchestration.POOLS)
    assert {f.name for f in orchestration.SOURCE_FAMILIES} == {n for n, s in declared.items() if s.kind != "dump"}
    assert set(registry.text_of()) == set(catalog.SOCIAL_RAW_TABLES)
    for source in declared.values():
        if source.kind != "dump":
            assert callable(source.extract_function())


def test_a_declaration_that_contradicts_itself_is_refused():
    with pytest.raises(ValueError, match="text_of names tables it does not land"):
        registry.Source(name="bad", kind="dump", raw_tables=("a",), text_of={"b": "payload"})
    with pytest.raises(ValueError, match="needs an extract function"):
        registry.Source(name="bad", kind="api", raw_tables=("a",), text_of={})


@pytest.fixture
def toy_source(tmp_path, monkeypatch, use_databases):
    from social360.core import config
    from social360.transform import dbt_runner

    package = tmp_path / "toy_source"
    package.mkdir()
    (package / "__init__.py").write_text(TOY_DECLARATION)
    (package / "toy_extract.py").write_text(TOY_EXTRACT)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv(registry.PLUGIN_ENV, "toy_source")

    models = f"test_models_{uuid.uuid4().hex[:8]}"
    staging = config.DBT_PROJECT_DIR / models / "staging" / "toy"
    staging.mkdir(parents=True)
    (staging / "_toy__sources.yml").write_text(TOY_SOURCES_YML)
    (staging / "stg_toy__social_posts.sql").write_text(TOY_POSTS_SQL)
    monkeypatch.setenv(dbt_runner.EXTRA_MODELS_ENV, models)

    site = ThreadingHTTPServer(("127.0.0.1", 0), ToySite)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    monkeypatch.setenv("SOCIAL360_TOY_BASE_URL", f"http://127.0.0.1:{site.server_port}")
    monkeypatch.setenv("SOCIAL360_TOY_TOKEN", "toy-secret")
    yield use_databases
    site.shutdown()
    shutil.rmtree(config.DBT_PROJECT_DIR / models, ignore_errors=True)
    sys.modules.pop("toy_source", None)
    sys.modules.pop("toy_source.toy_extract", None)


def test_a_toy_source_added_through_the_registry_alone_reaches_int_social_posts(toy_source):
    from extractors import source_settings as sources
    from social360.orchestration import stages as pipeline
    from social360.transform import dbt_runner

    assert "toy" in registry.sources() and "toy_reviews" in registry.raw_tables()
    assert sources.configured_api_sources() == ["toy"]  # from its declared variables

    report = pipeline.extract_social_source("toy", "toy-run")
    assert report["status"] == "ok" and report["rows_landed"] == 2
    again = pipeline.extract_social_source("toy", "toy-run-2")
    assert again["rows_landed"] == 0  # idempotent: the same versions land once
    assert pipeline.enrich()["toy_reviews"] == 2  # scored through its declared text expression

    result = dbt_runner.build(["+int_social_posts"])
    assert result.success, result.summary()
    with psycopg.connect(toy_source.warehouse_url) as conn:
        rows = conn.execute(
            "SELECT post_key, sentiment_label, source_table FROM intermediate.int_social_posts "
            "WHERE source_table = 'toy_reviews' ORDER BY post_key").fetchall()
    assert rows == [("review:r1", "negative", "toy_reviews"), ("review:r2", "positive", "toy_reviews")]
