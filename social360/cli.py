"""The ``social360`` command."""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime

import typer

app = typer.Typer(help="Social360: social interactions + CRM into a customer 360 warehouse.", no_args_is_help=True)
warehouse_app = typer.Typer(help="The warehouse server (embedded PostgreSQL, or WAREHOUSE_URL).", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")
evaluate_app = typer.Typer(help="Measure derived data against ground truth.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")
import_app = typer.Typer(help="Import conversation dumps into the raw layer (idempotent: re-importing adds nothing).",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")

DAG_ORDER = ("social_ingest", "crm_sync", "customer360_build")
VERBOSE_HELP = "Stream Airflow's and dbt's logs too (they always go to $SOCIAL360_HOME/logs/)."


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"social360 {version('social360')}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Social360: social interactions + CRM into a customer 360 warehouse."""


@app.command()
def setup() -> None:
    """Prepare run-time files the project builds from its pip packages and sources (NLTK's VADER
    lexicon; the dbt manifest Airflow renders one task per dbt node from)."""
    from enrichment.lexicon import ensure_nltk_data
    from social360.orchestration.dbt_airflow import ensure_manifest

    typer.echo(f"NLTK data: {ensure_nltk_data()}")
    typer.echo(f"dbt manifest: {ensure_manifest()}")


@warehouse_app.command("up")
def warehouse_up() -> None:
    """Start the embedded warehouse (no-op with WAREHOUSE_URL) and create its schemas."""
    from social360.core import db, warehouse
    from social360.reporting.summary import redact_url

    url = warehouse.up()
    db.connect(url).close()
    typer.echo(f"warehouse ready: {redact_url(url)}")


@warehouse_app.command("down")
def warehouse_down() -> None:
    """Stop the embedded warehouse."""
    from social360.core import warehouse

    typer.echo("stopped" if warehouse.down() else "not running")


@warehouse_app.command("url")
def warehouse_url(
    bi: bool = typer.Option(False, "--bi", help="The read-only BI role's URL instead of the pipeline's."),
) -> None:
    """Print the connection URL, starting the embedded server if needed."""
    from social360.core import warehouse

    typer.echo(warehouse.bi_url() if bi else warehouse.url())


@app.command()
def demo(
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same data."),
    customers: int = typer.Option(300, min=1, help="CRM customers to generate."),
    posts: int = typer.Option(2000, min=1, help="Social posts (inbound and brand replies) to generate."),
    days: int = typer.Option(60, min=1, help="Days of history before now."),
    now: str | None = typer.Option(None, help="Anchor time (ISO 8601); default: the current hour."),
    run_pipeline: bool = typer.Option(True, "--run/--no-run", help="Run the DAGs after generating the sources."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP),
) -> None:
    """Generate the demo sources (CRM + social feed) and run the whole pipeline on them."""
    from social360.demo import prepare as runner
    from social360.terminal import Steps

    anchor = datetime.fromisoformat(now) if now else datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with Steps("demo", verbose=verbose) as steps:
        with steps.step("demo sources", "sources") as step:
            info = runner.prepare_sources(seed=seed, customers=customers, posts=posts, days=days, now=anchor)
            step.done(re.sub(r"^demo sources:? ", "", info["message"]))
        ok = _run_dags(steps) if run_pipeline else True
    if run_pipeline:
        _print_summary(steps)
        _print_artifacts(dbt_docs=True)
    typer.echo(f"Airflow and dbt logs: {steps.logs}")
    raise typer.Exit(0 if ok else 1)


@app.command()
def run(verbose: bool = typer.Option(False, "--verbose", "-v", help=VERBOSE_HELP)) -> None:
    """Run the three DAGs once, in order, with Airflow's dag.test()."""
    from social360.terminal import Steps

    with Steps("run", verbose=verbose) as steps:
        ok = _run_dags(steps)
    _print_summary(steps)
    _print_artifacts(dbt_docs=False)
    typer.echo(f"Airflow and dbt logs: {steps.logs}")
    raise typer.Exit(0 if ok else 1)


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """For each mart: its last published version, when, and its last gate result."""
    from social360.reporting.summary import published_status

    result = published_status()
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for mart, s in result.items():
        gate = {True: "passed", False: "BLOCKED", None: "never run"}[s["last_gate_passed"]]
        rows = f" ({s['published_rows']:,} rows)" if s["published_rows"] is not None else ""
        typer.echo(f"{mart}: version {s['version'] or '-'}{rows} published {s['published_at'] or 'never'}; "
                   f"last gate {gate}" + (f" at {s['last_gate_at']} (run {s['last_gate_run']})" if s["last_gate_at"] else ""))
        for failure in s["failed_expectations"]:
            typer.echo(f"    failed: {failure}")
        for warning in s["warnings"]:
            typer.echo(f"    warning: {warning}")
        if s["not_published_reason"] and not s["failed_expectations"]:
            typer.echo(f"    not published: {s['not_published_reason']}")
        if s["data_docs_url"]:
            typer.echo(f"    data docs: {s['data_docs_url']}")


@app.command("accept-raw-loss")
def accept_raw_loss(
    table: str = typer.Argument(..., help="The raw table whose rows were removed on purpose, e.g. raw.facebook_comments."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in audit.raw_ledger)."),
) -> None:
    """Accept that rows of a raw table were deleted on purpose (an erasure request): the gates then
    measure later losses from its current row count instead of blocking every build."""
    from expectations.gate import record_raw_rows
    from social360.core import db
    from social360.core.catalog import raw_tables

    name = table if table.startswith("raw.") else f"raw.{table}"
    if name.removeprefix("raw.") not in raw_tables():
        typer.secho(f"unknown raw table {table!r}; expected one of {', '.join(raw_tables())}", fg="red", err=True)
        raise typer.Exit(1)
    with db.connect() as conn:
        rows = record_raw_rows(conn, name, f"accepted__{datetime.now(UTC):%Y%m%dT%H%M%S}", note=reason)
        conn.commit()
    typer.echo(f"{name}: {rows:,} rows accepted as its new baseline ({reason})")


@app.command()
def score() -> None:
    """Score JSON lines {"id", "text"} from stdin; write one JSON line per input to stdout."""
    from enrichment.stream import score_stream

    score_stream(sys.stdin, sys.stdout)


@app.command()
def airflow(
    port: int | None = typer.Option(None, envvar="SOCIAL360_AIRFLOW_PORT", help="UI/API port.",
                                       show_default="8080, or a free port when 8080 is taken"),
    paused: bool = typer.Option(False, "--paused/--active", help="Start with the DAGs paused (no scheduled runs)."),
    init_only: bool = typer.Option(False, "--init-only", help="Prepare metadata DB, pools and dbt manifest; do not start."),
) -> None:
    """Run Airflow locally (api-server, scheduler, dag-processor, triggerer) with the project's DAGs,
    the warehouse connection and the pools, under $SOCIAL360_HOME; Ctrl-C stops it."""
    from social360.orchestration import airflow_env

    if init_only:
        typer.echo(json.dumps(airflow_env.init_only()))
        return
    typer.echo("starting Airflow (first start takes a minute) ...", err=True)
    server = airflow_env.start_standalone(port or None, paused=paused)
    typer.secho(f"Airflow UI: {server.url}   login: {server.username} / {server.password}", fg="green", bold=True)
    typer.echo(f"logs: {server.log_file}; Ctrl-C to stop")
    try:
        server.process.wait()
    except KeyboardInterrupt:
        typer.echo("stopping Airflow ...", err=True)
    finally:
        server.stop()
    raise typer.Exit(0)


REPLACE_HELP = ("The file is the whole truth for its dump (twcs: every tweet; jsonl: the channel): rows "
                "imported before that it no longer holds are retracted (they leave the models).")


@import_app.command("twcs")
def import_twcs(
    file: str = typer.Argument(..., help="A Kaggle 'Customer Support on Twitter' CSV (twcs format)."),
    replace: bool = typer.Option(False, "--replace", help=REPLACE_HELP),
) -> None:
    """Load a twcs CSV as channel twitter: every row, or none if any row is bad (each named)."""
    from extractors.twcs import twcs_dump as twcs

    _report_import(lambda run_id: twcs.import_file(file, run_id, replace=replace))


@import_app.command("jsonl")
def import_jsonl(
    file: str = typer.Argument(..., help="JSON lines, one post per line (shape in docs/SOURCES.md)."),
    channel: str = typer.Option(..., "--channel", help="Channel of the posts, e.g. forum, instagram, review."),
    replace: bool = typer.Option(False, "--replace", help=REPLACE_HELP),
) -> None:
    """Load posts from a JSON-lines file as CHANNEL: every line, or none if any line is bad (each named)."""
    from extractors.jsonl import jsonl_dump as jsonl

    _report_import(lambda run_id: jsonl.import_file(file, channel, run_id, replace=replace))


def _report_import(load) -> None:
    from extractors.base import ExtractorError

    run_id = f"import__{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
    try:
        result = load(run_id)
    except (ExtractorError, ValueError, FileNotFoundError) as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None
    retracted = f", {result.retracted} retracted" if result.retracted else ""
    typer.echo(f"{result.stream}: {result.rows_seen} rows read, {result.rows_landed} new "
               f"({result.rows_seen - result.rows_landed} already there){retracted}")
    for warning in result.warnings:
        typer.secho(f"  warning: {warning}", fg="yellow")


@app.command()
def report() -> None:
    """Write the HTML report (charts from the published marts) under $SOCIAL360_HOME/reports/."""
    from social360.reporting.html_report import build_report

    path = build_report()
    typer.echo(f"report: {path}")
    typer.echo(f"latest: {path.parent / 'latest.html'}")


@evaluate_app.command("identity")
def evaluate_identity() -> None:
    """Precision and recall of identity resolution against the demo generator's ground truth."""
    from social360.evaluation.identity import evaluate

    score = evaluate()
    typer.echo(f"precision {score.precision:.3f}  recall {score.recall:.3f}  "
               f"({score.correct_links} of {score.links} links correct; {score.owned_accounts} accounts owned by customers)")
    for method, counts in sorted(score.by_method.items()):
        typer.echo(f"  {method:<16} {counts['correct']:>5} / {counts['links']:<5} correct")
    for channel, figures in sorted(score.by_channel.items()):
        typer.echo(f"  {channel:<16} precision {figures['precision']:.3f}  recall {figures['recall']:.3f}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(ctx: typer.Context) -> None:
    """Run a dbt command against the warehouse (e.g. `social360 dbt docs generate`). Published marts
    the command does not select are read from `marts` (dbt's --defer to the published state), so
    `social360 dbt build --select my_model` builds a model that refs them."""
    from social360.transform import dbt_runner

    result = dbt_runner.invoke(dbt_runner.deferring_to_published(list(ctx.args)))
    raise typer.Exit(0 if result.success else 1)


@app.command()
def docs() -> None:
    """Generate the dbt docs of the published marts as one static page (opens under file://)."""
    from social360.transform import dbt_runner

    typer.echo(dbt_runner.generate_docs().as_uri())


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def lint(ctx: typer.Context) -> None:
    """Lint the dbt models with SQLFluff's dbt templater (extra arguments go to `sqlfluff lint`)."""
    import os
    import subprocess

    from social360.core import config
    from social360.transform import dbt_runner

    env = {**os.environ, **dbt_runner.connection_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    sqlfluff = os.path.join(os.path.dirname(sys.executable), "sqlfluff")
    command = [sqlfluff, "lint", *(ctx.args or ["models"])]
    raise typer.Exit(subprocess.run(command, cwd=config.DBT_PROJECT_DIR, env=env).returncode)


def _run_dags(steps) -> bool:
    """Each DAG as one step of ``steps`` (its logs in that step's file); True if all succeeded."""
    from social360.core import build_lock
    from social360.orchestration import airflow_env
    from social360.orchestration.stages import build_was_skipped

    ok = True
    for dag_id in DAG_ORDER:
        if dag_id == "customer360_build" and (other := build_lock.current()) is not None:
            steps.print(f"[yellow]another build is running: {other.describe()}; waiting up to "
                        f"{build_lock.wait_seconds():.0f} s for it[/]")
        with steps.step(dag_id) as step:
            run = airflow_env.run_dag(dag_id)
            state = str(run.state)
            if build_was_skipped(run):
                step.fail("skipped: another build is running; nothing was built or published")
            elif state != "success":
                step.fail(state)
            else:
                step.done(state)
        ok = ok and step.ok
    return ok


def _print_summary(steps) -> None:
    from social360.reporting.summary import full_summary, render

    render(full_summary(), steps.console)


def _print_artifacts(*, dbt_docs: bool) -> None:
    """Where to look next: the HTML report (the build DAG writes it), dbt docs and GX Data Docs."""
    from social360.core import config
    from social360.reporting.summary import published_status
    from social360.transform import dbt_runner

    reports = config.subdir("reports")
    latest = reports / "latest.html"
    if not latest.exists():
        from social360.reporting.html_report import build_report

        build_report()
    typer.echo(f"HTML report:   {latest.as_uri()}")
    if dbt_docs:
        try:
            typer.echo(f"dbt docs:      {dbt_runner.generate_docs().as_uri()}")
        except RuntimeError as exc:
            typer.secho(str(exc), fg="red", err=True)
    for mart, status in published_status().items():
        if status.get("data_docs_url"):
            typer.echo(f"GX Data Docs ({mart}): {status['data_docs_url']}")


if __name__ == "__main__":  # pragma: no cover
    app()
