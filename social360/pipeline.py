"""Every stage of the pipeline as a plain function: the DAGs, the CLI, the tests and the
benchmarks all call these, so they exercise the same code.
"""

from __future__ import annotations

import logging
import os
from typing import Any


log = logging.getLogger(__name__)

from social360.catalog import PUBLISHED_MARTS


class GateFailed(RuntimeError):
    """A candidate mart failed its checks and was not published."""


# --- extract ----------------------------------------------------------------------------------


def configured_social_sources() -> list[str]:
    """Social sources to extract: ``SOCIAL360_SOURCES`` (comma-separated), else the demo feed if it has data."""
    explicit = os.environ.get("SOCIAL360_SOURCES")
    if explicit:
        return [s.strip() for s in explicit.split(",") if s.strip()]
    from social360.demo import sources as demo_sources

    try:
        return ["demo"] if demo_sources.current_generation() else []
    except Exception as exc:  # the demo database may not exist on an external warehouse
        log.info("demo source unavailable: %s", exc)
        return []


def extract_social_source(source: str, run_id: str) -> dict[str, Any]:
    """Extract one configured social source into ``raw``."""
    if source == "demo":
        from extractors import demo_social

        return demo_social.extract(run_id).as_dict()
    raise ValueError(f"unknown social source {source!r}")


def crm_tables() -> list[str]:
    from extractors.crm import TABLES

    return [t.name for t in TABLES]


def sync_crm_table(table: str, run_id: str) -> dict[str, Any]:
    from extractors import crm

    spec = next(t for t in crm.TABLES if t.name == table)
    return crm.sync_table(spec, run_id).as_dict()


# --- enrich, transform ------------------------------------------------------------------------


def enrich() -> dict[str, int]:
    from enrichment.runner import score_new_posts

    return score_new_posts()


def build_models(*, as_of: str | None = None, full_refresh: bool = False) -> dict[str, Any]:
    """``dbt build`` of every model; returns per-model outcome for the gates."""
    from social360 import dbt_runner

    result = dbt_runner.build(vars={"as_of": as_of} if as_of else None, full_refresh=full_refresh)
    if result.error:
        raise RuntimeError(f"dbt build could not run: {result.error}")
    return result.summary()


# --- gate and publish -------------------------------------------------------------------------


def gate(mart: str, dbt_summary: dict[str, Any] | None, run_id: str) -> dict[str, Any]:
    """Validate a candidate mart; record the outcome; raise ``GateFailed`` (after recording) if blocked."""
    from expectations import gate as gx_gate
    from social360 import publish

    outcome = (dbt_summary or {}).get("models", {}).get(mart) if dbt_summary else None
    result = gx_gate.validate(mart, dbt_outcome=outcome)
    gx_gate.record(result, run_id)
    if not result.success:
        publish.record_blocked(mart, run_id=run_id, reason=result.message())
        raise GateFailed(result.message())
    for warning in result.warnings:
        log.warning("%s: warning %s", mart, warning.describe())
    return {"mart": mart, "success": True, "evaluated": result.evaluated, "warnings": [w.describe() for w in result.warnings]}


def publish_mart(mart: str, run_id: str) -> dict[str, Any]:
    from social360 import publish

    result = publish.publish(mart, run_id=run_id)
    return {"mart": mart, "version": result.version, "row_count": result.row_count}


def blocked_marts(run_id: str) -> dict[str, str]:
    """Marts a run did not publish, with the reason its gate recorded (or that none was recorded)."""
    from social360 import db

    with db.connect() as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (mart) mart, published, reason FROM audit.publish_log WHERE run_id = %s "
            "ORDER BY mart, id DESC",
            (run_id,),
        ).fetchall()
    outcomes = {mart: (published, reason) for mart, published, reason in rows}
    blocked = {}
    for mart in PUBLISHED_MARTS:
        published, reason = outcomes.get(mart, (False, f"{mart}: no outcome recorded (its gate or publish task failed)"))
        if not published:
            blocked[mart] = reason
    return blocked


def run_all_local(run_id: str, *, as_of: str | None = None) -> dict[str, Any]:
    """The whole pipeline in this process without Airflow (used by benchmarks and debugging)."""
    report: dict[str, Any] = {"extract": {}, "gates": {}}
    for source in configured_social_sources():
        report["extract"][source] = extract_social_source(source, run_id)
    for table in crm_tables():
        report["extract"][f"crm.{table}"] = sync_crm_table(table, run_id)
    report["enrich"] = enrich()
    summary = build_models(as_of=as_of)
    for mart in PUBLISHED_MARTS:
        try:
            gate(mart, summary, run_id)
            publish_mart(mart, run_id)
            report["gates"][mart] = "published"
        except GateFailed as exc:
            report["gates"][mart] = f"blocked: {exc}"
    return report
