"""Extract social interactions (mentions, comments, replies, the brand's own replies) from every
configured source into the warehouse's raw layer, incrementally, every 15 minutes.

One mapped task per configured source, grouped by the API it calls: `x.extract`, `facebook.extract`
and `discourse.extract` run in the pools `x_api`, `facebook_graph` and `discourse`, so parallel
extractions share each API's rate limit (`demo.extract` reads the local demo feed; a family with
no configured source is skipped). Each lands its
pages and cursor atomically and emits an asset event for each raw table that received rows
(`raw.<table>`, through its family's alias `raw_landed.<family>`), with the source and the rows
landed as the event's extra; `customer360_build` is scheduled on those assets, so a run that
landed nothing builds nothing.

`catchup=False`: extraction is driven by each source's saved cursor (newest id or timestamp minus a
lookback), not by the run's interval, so the next run after an outage picks up everything missed
and a rerun of any past interval lands nothing twice. Re-reading history is a cursor reset, not a
backfill (the APIs only serve recent windows: X recent search covers 7 days).
"""

from __future__ import annotations

from airflow.sdk import Param, TaskGroup, dag, task

from social360.orchestration.dag_support import DEFAULT_ARGS, EXTRACT_TIMEOUT, OTHER_FAMILY, SOURCE_FAMILIES, START_DATE


@dag(
    dag_id="social_ingest",
    schedule="*/15 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["social360", "ingest"],
    params={
        "sources": Param([], type="array", items={"type": "string"}, title="Sources",
                         description="Extract only these configured sources (e.g. [\"x\"]); empty: all of them."),
    },
    doc_md=__doc__,
)
def social_ingest():
    @task
    def sources(family: str, params: dict | None = None) -> list[str]:
        """The configured sources of one API family (or the requested subset of them)."""
        from social360.orchestration.dag_support import group_sources
        from social360.orchestration.stages import configured_social_sources

        configured = configured_social_sources()
        wanted = list((params or {}).get("sources") or configured)
        unknown = sorted(set(wanted) - set(configured))
        if unknown:
            raise ValueError(f"sources {unknown} are not configured (configured: {configured})")
        return group_sources(wanted)[family]

    @task(execution_timeout=EXTRACT_TIMEOUT)
    def extract(source: str, run_id: str | None = None, outlet_events=None, task=None) -> dict:
        """Land everything new in one source since its cursor; an asset event per raw table that received rows."""
        from social360.orchestration.dag_support import emit_landed
        from social360.orchestration.stages import extract_social_source

        result = extract_social_source(source, run_id=run_id)
        (alias,) = task.outlets
        emit_landed(outlet_events, alias, result["rows_by_table"], source)
        return result

    for family in (*SOURCE_FAMILIES, OTHER_FAMILY):
        with TaskGroup(group_id=family.name, tooltip=f"{family.name} sources (pool {family.pool or 'default_pool'})"):
            names = sources.override(task_id="sources")(family.name)
            extract.override(task_id="extract", pool=family.pool or "default_pool", outlets=[family.alias]).expand(
                source=names
            )


social_ingest()
