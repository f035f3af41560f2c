"""Which sources a deployment extracts and with what settings: Airflow connections (JSON or URI
form) or environment variables, never the repository; and the shared HTTP client's limits."""

from __future__ import annotations

import json
import logging

import pytest

from extractors import http
from extractors import source_settings as sources
from social360.orchestration import stages as pipeline
from tests.fakes.fake_api import FakeClock
from tests.fakes.harness import BRAND_X, x_world
from tests.sources.x.fake_x_api import FakeXApi

ALL_VARS = [sources.connection_env_var(s) for s in sources.API_SOURCES] + [
    "SOCIAL360_X_BEARER_TOKEN", "SOCIAL360_X_BRAND_USER_IDS", "SOCIAL360_X_BASE_URL",
    "SOCIAL360_FACEBOOK_ACCESS_TOKEN", "SOCIAL360_FACEBOOK_PAGE_IDS", "SOCIAL360_FACEBOOK_BASE_URL",
    "SOCIAL360_FACEBOOK_APP_SECRET", "SOCIAL360_X_FIELDS_PARAMETER",
    "SOCIAL360_DISCOURSE_API_KEY", "SOCIAL360_DISCOURSE_API_USERNAME", "SOCIAL360_DISCOURSE_BASE_URL",
    "SOCIAL360_DISCOURSE_BRAND_USERNAMES", "SOCIAL360_SOURCES",
]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_nothing_configured_means_no_api_source(clean_env):
    assert sources.configured_api_sources() == []
    assert sources.settings("x") is None
    with pytest.raises(sources.SourceConfigError, match="AIRFLOW_CONN_SOCIAL360_X"):
        sources.require("x")
    with pytest.raises(sources.SourceConfigError, match="unknown API source"):
        sources.settings("myspace")


def test_an_airflow_connection_in_json_form(clean_env):
    clean_env.setenv("AIRFLOW_CONN_SOCIAL360_X", json.dumps({
        "conn_type": "http", "host": "https://api.x.com", "password": "s3cret-bearer",
        "extra": {"brand_user_ids": ["783214", "6253282"], "lookback_minutes": 45},
    }))
    found = sources.require("x")
    assert found.base_url == "https://api.x.com" and found.secret == "s3cret-bearer"
    assert found.get_list("brand_user_ids") == ["783214", "6253282"]
    assert found.get_float("lookback_minutes", 30) == 45
    assert "s3cret" not in repr(found)
    assert sources.configured_api_sources() == ["x"]


def test_an_airflow_connection_in_uri_form(clean_env):
    clean_env.setenv("AIRFLOW_CONN_SOCIAL360_DISCOURSE",
                     "https://system:k%2Fe%40y@forum.example.com:8443/?brand_usernames=acme_team%2Cbob&staff_is_brand=false")
    found = sources.require("discourse")
    assert found.base_url == "https://forum.example.com:8443"
    assert (found.login, found.secret) == ("system", "k/e@y")
    assert found.get_list("brand_usernames") == ["acme_team", "bob"]
    assert found.get_bool("staff_is_brand", True) is False
    extra = json.dumps({"page_ids": "1,2", "api_version": "v23.0"})
    clean_env.setenv("AIRFLOW_CONN_SOCIAL360_FACEBOOK", f"http://:tok@graph.facebook.com/?__extra__={extra}")
    facebook = sources.require("facebook")
    assert facebook.secret == "tok" and facebook.get("api_version") == "v23.0"
    assert facebook.get_list("page_ids") == ["1", "2"]
    assert sources.configured_api_sources() == ["discourse", "facebook"]  # in the registry's order (by name)


def test_plain_environment_variables(clean_env):
    clean_env.setenv("SOCIAL360_FACEBOOK_ACCESS_TOKEN", "page-token")
    clean_env.setenv("SOCIAL360_FACEBOOK_PAGE_IDS", "20531316728")
    clean_env.setenv("SOCIAL360_FACEBOOK_COMMENT_WINDOW_DAYS", "14")
    found = sources.require("facebook")
    assert found.base_url == "https://graph.facebook.com" and found.secret == "page-token"
    assert found.get_list("page_ids") == ["20531316728"] and found.get_float("comment_window_days", 7) == 14
    assert found.origin == "environment variables"


def test_the_facebook_app_secret_and_the_x_fields_parameter_from_variables(clean_env):
    clean_env.setenv("SOCIAL360_FACEBOOK_ACCESS_TOKEN", "page-token")
    clean_env.setenv("SOCIAL360_FACEBOOK_PAGE_IDS", "20531316728")
    clean_env.setenv("SOCIAL360_FACEBOOK_APP_SECRET", "app-secret-value")
    found = sources.require("facebook")
    assert found.get("app_secret") == "app-secret-value"
    assert "app-secret-value" not in repr(found)
    clean_env.setenv("SOCIAL360_X_BEARER_TOKEN", "t")
    clean_env.setenv("SOCIAL360_X_FIELDS_PARAMETER", "post.fields")
    assert sources.require("x").get("fields_parameter") == "post.fields"


def test_a_broken_connection_is_a_clear_error(clean_env):
    clean_env.setenv("AIRFLOW_CONN_SOCIAL360_X", "{not json")
    with pytest.raises(sources.SourceConfigError, match="not a valid Airflow connection"):
        sources.settings("x")


def test_the_dag_maps_the_configured_sources(databases, clean_env):
    assert pipeline.configured_social_sources() == []  # no demo data, nothing configured
    clean_env.setenv("SOCIAL360_X_BEARER_TOKEN", "t")
    clean_env.setenv("SOCIAL360_X_BRAND_USER_IDS", "1")
    clean_env.setenv("SOCIAL360_DISCOURSE_BASE_URL", "https://forum.example.com")
    assert pipeline.configured_social_sources() == ["discourse", "x"]
    clean_env.setenv("SOCIAL360_SOURCES", "discourse")
    assert pipeline.configured_social_sources() == ["discourse"]


def test_a_misconfigured_source_fails_with_an_alert(databases, clean_env, caplog):
    clean_env.delenv("AIRFLOW_CTX_TASK_ID", raising=False)
    clean_env.setenv("SOCIAL360_X_BEARER_TOKEN", "t")  # but no brand account ids
    caplog.set_level(logging.ERROR, logger="social360.core.alerts")
    with pytest.raises(sources.SourceConfigError, match="brand_user_ids"):
        pipeline.extract_social_source("x", "run-1")
    assert any("config_error" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError, match="unknown social source"):
        pipeline.extract_social_source("myspace", "run-1")


def test_a_reset_beyond_the_allowed_wait_pauses_the_run(databases, clean_env):
    fake = FakeXApi(FakeClock(real=True), seed=1, window_limit=2).start()
    try:
        x_world(fake, mentions=20)
        clean_env.setenv("AIRFLOW_CONN_SOCIAL360_X", json.dumps({
            "conn_type": "http", "host": fake.url, "password": fake.token,
            "extra": {"brand_user_ids": BRAND_X, "page_size": 5, "max_wait_seconds": 60}}))
        outcome = pipeline.extract_social_source("x", "run-1")  # real clock: the fake's window resets in 15 min
        assert outcome["status"] == "paused" and "next run resumes" in outcome["message"]
        assert len(fake.requests) == 3  # users lookup + two mentions pages, then the window was spent
    finally:
        fake.stop()


def test_redact_hides_tokens_in_urls():
    url = "https://graph.facebook.com/v24.0/1/comments?after=QVFI&access_token=EAAB123&limit=100"
    assert http.redact(url) == "https://graph.facebook.com/v24.0/1/comments?after=QVFI&access_token=%2A%2A%2A&limit=100"
    assert http.redact(url + "&appsecret_proof=9f86d0") == (
        "https://graph.facebook.com/v24.0/1/comments?after=QVFI&access_token=%2A%2A%2A&limit=100"
        "&appsecret_proof=%2A%2A%2A")
    assert http.redact("https://api.x.com/2/users") == "https://api.x.com/2/users"
