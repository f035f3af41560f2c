"""The suites as code and their configuration: every published mart has a suite, suites adapt to the
columns a table has, and bounds and severities come from a TOML file when one is given."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from expectations import gate_settings as gate_config
from expectations.suites import MARTS, ColumnInfo, SuiteContext, build_suite, mart_spec, spec_for
from social360.core.catalog import PUBLISHED_MARTS, RAW_TABLES

RESPONSE_COLUMNS = {
    "post_key": ColumnInfo("text"), "post_id": ColumnInfo("text"), "channel": ColumnInfo("text"),
    "brand_account": ColumnInfo("text"), "customer_id": ColumnInfo("bigint", 64, 0), "priority": ColumnInfo("text"),
    "received_at": ColumnInfo("timestamp with time zone"), "first_response_at": ColumnInfo("timestamp with time zone"),
    "first_response_calendar_minutes": ColumnInfo("numeric", 12, 2), "sla_target_minutes": ColumnInfo("integer", 32, 0),
    "is_sla_breached": ColumnInfo("boolean"),
}


def _described(expectations) -> dict[str, object]:
    return {e.description: e for e in expectations}


def test_every_published_mart_and_the_new_marts_have_a_suite():
    assert set(PUBLISHED_MARTS) | {"mart_response_times_daily", "mart_priority_queue"} <= set(MARTS)
    for table in RAW_TABLES:
        assert spec_for(f"raw.{table}") is not None
    assert spec_for("staging.stg_x__tweets").key == ("tweet_id",)
    assert spec_for("intermediate.int_social_posts") is None


def test_business_minutes_are_checked_only_when_the_column_exists():
    ctx = SuiteContext(schema="marts_candidate", columns=dict(RESPONSE_COLUMNS))
    without = _described(build_suite(mart_spec("mart_response_times"), ctx))
    assert "first_response_business_minutes <= first_response_calendar_minutes" not in without
    assert "first_response_calendar_minutes >= 0" in without
    columns = {**RESPONSE_COLUMNS, "first_response_business_minutes": ColumnInfo("numeric", 14, 2)}
    with_business = _described(build_suite(mart_spec("mart_response_times"), SuiteContext("marts_candidate", columns=columns)))
    assert "first_response_business_minutes <= first_response_calendar_minutes" in with_business
    assert "first_response_business_minutes >= 0" in with_business
    assert with_business["first_response_business_minutes is of type number"].type_list[-1] == "NUMERIC(14, 2)"


def test_a_missing_column_is_reported_once_by_the_schema_check():
    columns = {k: v for k, v in RESPONSE_COLUMNS.items() if k != "first_response_calendar_minutes"}
    suite = _described(build_suite(mart_spec("mart_response_times"), SuiteContext("marts_candidate", columns=columns)))
    assert "first_response_calendar_minutes" in suite["the contract's columns are present"].column_set
    assert not [d for d in suite if d.startswith("first_response_calendar_minutes")]


def test_volume_freshness_and_references_follow_the_context():
    reference = datetime(2026, 11, 20, 12, tzinfo=UTC)
    ctx = SuiteContext("marts_candidate", existing_tables=frozenset({"marts.dim_customers", "marts.mart_response_times"}),
                       columns=dict(RESPONSE_COLUMNS), previous_rows=200, reference_time=reference)
    suite = _described(build_suite(mart_spec("mart_response_times"), ctx))
    volume = suite["row count within 0.9x-3x of the last published version (200 rows)"]
    assert (volume.min_value, volume.max_value) == (180, 600)
    per_channel = suite["each channel within 0.9x-3x of its rows in the published version"].unexpected_rows_query
    assert "FROM marts.mart_response_times GROUP BY" in per_channel and "> 10" in per_channel
    fresh = suite["every channel has rows newer than 72 h before the build (error)"]
    assert "2026-11-20T12:00:00+00:00" in fresh.unexpected_rows_query
    assert "FROM marts.mart_response_times" in fresh.unexpected_rows_query, "vanished channels count as stale"
    assert suite["every channel has rows newer than 36 h before the build (warning)"].severity == "warning"
    orphans = suite["every customer_id exists in dim_customers"].unexpected_rows_query
    assert "marts.dim_customers" in orphans and "marts_candidate.dim_customers" not in orphans
    landed = "SELECT channel, max(created_at) AS newest FROM intermediate.int_social_posts GROUP BY channel"
    capped = _described(build_suite(mart_spec("mart_response_times"), SuiteContext(
        "marts_candidate", columns=dict(RESPONSE_COLUMNS), reference_time=reference, landed_posts=landed)))
    behind = capped["every channel is at most 72 h behind the data it was built from (error)"].unexpected_rows_query
    assert "least(timestamptz '2026-11-20T12:00:00+00:00', coalesce(landed.newest" in behind
    assert "every channel has rows newer than 36 h before the build (warning)" in capped
    first = _described(build_suite(mart_spec("mart_response_times"),
                                   SuiteContext("marts_candidate", columns=dict(RESPONSE_COLUMNS))))
    assert not [d for d in first if d.startswith("row count within")], "no volume bound before a first publish"


def test_a_toml_file_overrides_bounds_and_severities(tmp_path, monkeypatch):
    path = tmp_path / "gate.toml"
    path.write_text(
        "[volume]\nmin_ratio = 0.8\n[volume.marts.mart_sentiment]\nmax_ratio = 1.5\n"
        "[freshness]\nerror_after_hours = 24\n[freshness.channels.forum]\nerror_after_hours = 336\n"
        '[severity]\n"mart_response_times.null_rate" = "error"\n"freshness" = "warning"\n'
    )
    monkeypatch.setenv("SOCIAL360_GATE_CONFIG", str(path))
    cfg = gate_config.load()
    assert cfg.volume_for("mart_sentiment") == gate_config.VolumeBound(0.8, 1.5, 10)
    assert cfg.volume_for("dim_customers") == gate_config.VolumeBound(0.8, 3.0, 10)
    assert cfg.freshness_for("forum").error_after_hours == 336 and cfg.freshness_for("twitter").error_after_hours == 24
    assert cfg.severity("mart_response_times", "mart", "null_rate") == "error"
    assert cfg.severity("mart_sentiment", "mart", "null_rate") == "warning"
    assert cfg.severity("stg_x__tweets", "staging", "future") == "warning"
    assert cfg.severity("mart_sentiment", "mart", "key") == "error"
    suite = _described(build_suite(mart_spec("mart_response_times"), SuiteContext(
        "marts_candidate", columns=dict(RESPONSE_COLUMNS), previous_rows=100, config=cfg)))
    assert suite["at most 50% of first_response_at is null"].severity == "critical"
    assert suite["every channel has rows newer than 24 h before the build (error)"].severity == "warning"
    assert "WHEN 'forum' THEN 336.0" in suite["every channel has rows newer than 24 h before the build (error)"] \
        .unexpected_rows_query


@pytest.mark.parametrize("text, error", [
    ("[volum]\nmin_ratio = 0.5\n", "unknown gate settings"),
    ('[severity]\n"key" = "fatal"\n', "must be 'error' or 'warning'"),
])
def test_a_bad_configuration_is_a_clear_error(tmp_path, monkeypatch, text, error):
    path = tmp_path / "gate.toml"
    path.write_text(text)
    monkeypatch.setenv("SOCIAL360_GATE_CONFIG", str(path))
    with pytest.raises(ValueError, match=error):
        gate_config.load()


def test_each_rule_is_declared_once_in_the_yml_and_the_gate_reads_it_from_the_manifest():
    """Columns, types, keys, not-nulls, ranges and accepted values live in the marts' yml (dbt's
    contract and tests); the hand-written specs hold only what the gate alone can say."""
    from expectations.suites import DBT_RULES, TableSpec

    blank = TableSpec("blank", "mart")
    for name, own in MARTS.items():
        assert [rule for rule in DBT_RULES if getattr(own, rule) != getattr(blank, rule)] == [], name
    sentiment = mart_spec("mart_sentiment")
    assert sentiment.ranges["net_sentiment"] == (-1, 1)  # an accepted_range test of its yml
    assert sentiment.grain == ("activity_date", "channel", "brand_account", "customer_segment")
    assert sentiment.columns["post_count"] == "integer"  # the contract's bigint
    assert sentiment.volume and sentiment.freshness is not None  # and what only the gate says
    queue = mart_spec("mart_priority_queue")
    assert queue.labels["intent"] == ("complaint", "question", "praise", "other") and not queue.volume


def test_the_staging_rules_come_from_the_staging_yml_too():
    from expectations.suites import DBT_RULES, STAGING, TableSpec

    blank = TableSpec("blank", "staging")
    for relation, own in STAGING.items():
        assert [rule for rule in DBT_RULES if getattr(own, rule) != getattr(blank, rule)] == [], relation
    scores = spec_for("staging.stg_enrichment__post_scores")
    assert scores.grain == ("source_table", "native_id", "payload_hash")  # its yml's unique combination
    assert scores.ranges == {"sentiment_score": (-1, 1)}
    assert "ordered_at" in spec_for("staging.stg_crm__orders").not_null
