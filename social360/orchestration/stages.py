"""Every stage of the pipeline as a plain function: the DAGs, the CLI, the tests and the
benchmarks all call these, so they exercise the same code.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from social360.core.catalog import published_marts
from social360.core.config import LOOKBACK_MINUTES

log = logging.getLogger(__name__)


class GateFailed(RuntimeError):
    """A candidate mart failed its checks and was not published."""


# --- extract ----------------------------------------------------------------------------------


def configured_social_sources() -> list[str]:
    """Social sources to extract: ``SOCIAL360_SOURCES`` (comma-separated) when set; otherwise the
    feeds that hold data (the demo), plus every API source (x, facebook, discourse) configured by an
    Airflow connection ``social360_<source>`` or ``SOCIAL360_<SOURCE>_*`` variables."""
    explicit = os.environ.get("SOCIAL360_SOURCES")
    if explicit:
        return [s.strip() for s in explicit.split(",") if s.strip()]
    from extractors import registry
    from extractors.source_settings import configured_api_sources

    found = [source.name for source in registry.of_kind("feed") if source.holds_data()]
    return found + configured_api_sources()


def extract_social_source(source: str, run_id: str) -> dict[str, Any]:
    """Extract one configured social source into ``raw``; ``rows_by_table`` says which raw tables
    received new rows (the DAG emits an asset event for those only).

    A source that needs a person (expired token, usage cap, bad configuration) fails without
    retries and with an alert; one asked to pause longer than a run may wait stops cleanly
    (what it stored is kept, the next run resumes).
    """
    from extractors.landing import counting_landed

    with counting_landed() as landed:
        result = _extract_source(source, run_id)
    return {**result, "rows_by_table": dict(landed)}


def _extract_source(source: str, run_id: str) -> dict[str, Any]:
    from extractors import registry
    from extractors import source_settings as sources
    from extractors.http import PausedForRateLimit, StopSource

    spec = registry.get(source)
    if spec.kind == "dump":
        raise ValueError(f"{source} is imported from files (social360 import {spec.name}), not extracted")
    if spec.kind == "feed":
        return spec.extract_function()(run_id).as_dict()
    try:
        results = spec.extract_function()(run_id, sources.require(source))
    except PausedForRateLimit as exc:
        log.warning("%s paused: %s", source, exc)
        return {"source": source, "status": "paused", "message": str(exc)}
    except (StopSource, sources.SourceConfigError) as exc:
        _stop_source(source, exc, run_id)
    _alert_warnings(source, results, run_id)
    streams = [r.as_dict() for r in results]
    return {"source": source, "status": "ok", "streams": streams,
            "rows_landed": sum(s["rows_landed"] for s in streams)}


def _alert_warnings(source: str, results, run_id: str) -> None:
    """A stream that ran but needs a person (a possible gap, a retired API version): alert, go on."""
    from social360.core import alerts

    streams_by_warning: dict[tuple[str, str], list[str]] = {}
    for result in results:
        for warning in result.warnings:
            streams_by_warning.setdefault((result.status, warning), []).append(result.stream)
    for (kind, warning), streams in streams_by_warning.items():  # one alert per warning, naming its streams
        alerts.send(f"social source {source} ({kind}; {', '.join(streams)}): {warning}",
                    details={"run_id": run_id, "source": source, "streams": streams, "kind": kind})


def _stop_source(source: str, error: Exception, run_id: str):
    """Fail for good: inside Airflow without retries (its failure callback alerts), elsewhere with an alert."""
    kind = getattr(error, "kind", "config_error")
    message = f"social source {source} stopped ({kind}): {error}"
    if os.environ.get("AIRFLOW_CTX_TASK_ID"):  # set by Airflow's task runner
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(message) from error
    from social360.core import alerts

    alerts.send(message, details={"run_id": run_id, "source": source, "kind": kind})
    raise error


def crm_tables() -> list[str]:
    from extractors.crm import TABLES

    return [t.name for t in TABLES]


def sync_crm_table(table: str, run_id: str) -> dict[str, Any]:
    from extractors import crm

    spec = next(t for t in crm.TABLES if t.name == table)
    return crm.sync_table(spec, run_id).as_dict()


# --- one build at a time ----------------------------------------------------------------------


def take_build_lock(dag_id: str, run_id: str) -> bool:
    """Take the warehouse's build lease for this run, waiting for another build to finish; False
    (the run then skips everything: nothing built, validated, recorded or alerted) when it is
    still running after ``SOCIAL360_BUILD_LOCK_WAIT_SECONDS``."""
    from social360.core import build_lock

    try:
        lease = build_lock.acquire(build_lock.holder_of(dag_id, run_id))
    except build_lock.BuildRunning as exc:
        log.warning("%s; skipping this run", exc)
        return False
    log.info("build lease taken by %s", lease.holder)
    return True


def build_was_skipped(dag_run: Any) -> bool:
    """Whether a build DAG run skipped everything because another build held the warehouse."""
    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    return states.get("take_build_lock") == "success" and states.get("enrich") == "skipped"


@contextmanager
def keeping_build_lock(dag_run: Any) -> Iterator[None]:
    """Keep this DAG run's build lease alive while a task of the build works."""
    from social360.core import build_lock

    if dag_run is None:
        yield
        return
    with build_lock.kept(build_lock.holder_of(dag_run.dag_id, dag_run.run_id)):
        yield


# --- enrich, transform ------------------------------------------------------------------------


def enrich() -> dict[str, int]:
    from enrichment.warehouse_scoring import score_new_posts

    return score_new_posts()


def build_models(*, as_of: str | None = None, full_refresh: bool = False,
                 dbt_vars: dict[str, Any] | None = None) -> dict[str, Any]:
    """``dbt build`` of every model; returns per-model outcome for the gates."""
    from social360.transform import dbt_runner

    variables = {**(dbt_vars or {}), **({"as_of": as_of} if as_of else {})}
    result = dbt_runner.build(vars=variables or None, full_refresh=full_refresh)
    if result.error:
        raise RuntimeError(f"dbt build could not run: {result.error}")
    lookback = variables.get("incremental_lookback_minutes", LOOKBACK_MINUTES)
    return {**result.summary(), "as_of": as_of, "slowest": result.slowest(), "lookback_minutes": lookback}


# --- gate and publish -------------------------------------------------------------------------


def gate(mart: str, dbt_summary: dict[str, Any] | None, run_id: str, *, as_of: str | None = None) -> dict[str, Any]:
    """Validate a candidate mart; record the outcome; raise ``GateFailed`` (after recording) if blocked.

    ``as_of`` (else ``dbt_summary["as_of"]``, else the time the build stamped into its marts) is
    the moment freshness is measured against.
    """
    from expectations import gate as gx_gate
    from social360.publish import publisher as publish

    outcome = (dbt_summary or {}).get("models", {}).get(mart) if dbt_summary else None
    result = gx_gate.validate(mart, dbt_outcome=outcome, run_id=run_id, as_of=as_of or (dbt_summary or {}).get("as_of"),
                              lookback_minutes=(dbt_summary or {}).get("lookback_minutes", LOOKBACK_MINUTES))
    gx_gate.record(result, run_id)
    if not result.success:
        docs = f" [data docs: {result.data_docs_url}]" if result.data_docs_url else ""
        publish.record_blocked(mart, run_id=run_id, reason=result.message() + docs)
        raise GateFailed(result.message())
    for warning in result.warnings:
        log.warning("%s: warning %s", mart, warning.describe())
    return {"mart": mart, "success": True, "evaluated": result.evaluated, "data_docs_url": result.data_docs_url,
            "warnings": [w.describe() for w in result.warnings]}


def publish_mart(mart: str, run_id: str) -> dict[str, Any]:
    """Publish the candidate this run's gate validated (write-audit-publish: nothing else)."""
    from social360.publish import publisher as publish

    relid = publish.validated_candidate(mart, run_id)
    result = publish.publish(mart, run_id=run_id, expected_relid=relid)
    return {"mart": mart, "version": result.version, "row_count": result.row_count, "attempts": result.attempts}


def blocked_marts(run_id: str) -> dict[str, str]:
    """Marts a run did not publish, with the reason its gate or publish recorded (or that none was)."""
    from social360.core import db

    with db.connect() as conn:
        rows = conn.execute(
            "SELECT DISTINCT ON (mart) mart, published, reason FROM audit.publish_log WHERE run_id = %s "
            "ORDER BY mart, id DESC",
            (run_id,),
        ).fetchall()
    outcomes = {mart: (published, reason) for mart, published, reason in rows}
    blocked = {}
    for mart in published_marts():
        published, reason = outcomes.get(mart, (False, f"{mart}: no outcome recorded (its gate or publish task failed)"))
        if not published:
            blocked[mart] = reason
    return blocked


def run_all_local(run_id: str, *, as_of: str | None = None) -> dict[str, Any]:
    """The whole pipeline in this process without Airflow (used by benchmarks and debugging); the
    build holds the warehouse's build lease, as the build DAG's runs do."""
    from social360.core import build_lock

    report: dict[str, Any] = {"extract": {}, "gates": {}}
    for source in configured_social_sources():
        report["extract"][source] = extract_social_source(source, run_id)
    for table in crm_tables():
        report["extract"][f"crm.{table}"] = sync_crm_table(table, run_id)
    with build_lock.held(build_lock.holder_of("run_all_local", run_id)):
        report["enrich"] = enrich()
        summary = build_models(as_of=as_of)
        for mart in published_marts():
            try:
                gate(mart, summary, run_id)
                publish_mart(mart, run_id)
                report["gates"][mart] = "published"
            except GateFailed as exc:
                report["gates"][mart] = f"blocked: {exc}"
    return report
