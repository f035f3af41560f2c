"""The ``social360`` command."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from typing import Optional

import typer

app = typer.Typer(help="Social360: social interactions + CRM into a customer 360 warehouse.", no_args_is_help=True)
warehouse_app = typer.Typer(help="The warehouse server (embedded PostgreSQL, or WAREHOUSE_URL).", no_args_is_help=True)
app.add_typer(warehouse_app, name="warehouse")

DAG_ORDER = ("social_ingest", "crm_sync", "customer360_build")


@app.command()
def setup() -> None:
    """Prepare run-time files the project builds from its pip packages (NLTK's VADER lexicon)."""
    from enrichment.lexicon import ensure_nltk_data

    typer.echo(f"NLTK data: {ensure_nltk_data()}")


@warehouse_app.command("up")
def warehouse_up() -> None:
    """Start the embedded warehouse (no-op with WAREHOUSE_URL) and create its schemas."""
    from social360 import db, warehouse
    from social360.summary import redact_url

    url = warehouse.up()
    db.connect(url).close()
    typer.echo(f"warehouse ready: {redact_url(url)}")


@warehouse_app.command("down")
def warehouse_down() -> None:
    """Stop the embedded warehouse."""
    from social360 import warehouse

    typer.echo("stopped" if warehouse.down() else "not running")


@warehouse_app.command("url")
def warehouse_url(
    bi: bool = typer.Option(False, "--bi", help="The read-only BI role's URL instead of the pipeline's."),
) -> None:
    """Print the connection URL, starting the embedded server if needed."""
    from social360 import warehouse

    typer.echo(warehouse.bi_url() if bi else warehouse.url())


@app.command()
def demo(
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same data."),
    customers: int = typer.Option(300, min=1, help="CRM customers to generate."),
    posts: int = typer.Option(2000, min=1, help="Social posts (inbound and brand replies) to generate."),
    days: int = typer.Option(30, min=1, help="Days of history before now."),
    now: Optional[str] = typer.Option(None, help="Anchor time (ISO 8601); default: the current hour."),
    run_pipeline: bool = typer.Option(True, "--run/--no-run", help="Run the DAGs after generating the sources."),
) -> None:
    """Generate the demo sources (CRM + social feed) and run the whole pipeline on them."""
    from social360.demo import runner

    anchor = datetime.fromisoformat(now) if now else datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    info = runner.prepare_sources(seed=seed, customers=customers, posts=posts, days=days, now=anchor)
    typer.echo(info["message"])
    if run_pipeline:
        ok = _run_dags()
        _print_summary()
        raise typer.Exit(0 if ok else 1)


@app.command()
def run() -> None:
    """Run the three DAGs once, in order, with Airflow's dag.test()."""
    ok = _run_dags()
    _print_summary()
    raise typer.Exit(0 if ok else 1)


@app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """For each mart: its last published version, when, and its last gate result."""
    from social360.summary import published_status

    result = published_status()
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    for mart, s in result.items():
        gate = {True: "passed", False: "BLOCKED", None: "never run"}[s["last_gate_passed"]]
        typer.echo(f"{mart}: version {s['version'] or '-'} published {s['published_at'] or 'never'}; last gate {gate}")
        for failure in s["failed_expectations"]:
            typer.echo(f"    failed: {failure}")


@app.command()
def score() -> None:
    """Score JSON lines {"id", "text"} from stdin; write one JSON line per input to stdout."""
    from enrichment.stream import score_stream

    score_stream(sys.stdin, sys.stdout)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def dbt(ctx: typer.Context) -> None:
    """Run a dbt command against the warehouse (e.g. `social360 dbt docs generate`)."""
    from social360 import dbt_runner

    result = dbt_runner.invoke(list(ctx.args))
    raise typer.Exit(0 if result.success else 1)


def _run_dags() -> bool:
    from social360 import airflow_env

    ok = True
    for dag_id in DAG_ORDER:
        run = airflow_env.run_dag(dag_id)
        state = str(run.state)
        typer.secho(f"{dag_id}: {state}", fg="green" if state == "success" else "red", err=True)
        ok = ok and state == "success"
    return ok


def _print_summary() -> None:
    from social360.summary import full_summary, render

    render(full_summary())


if __name__ == "__main__":  # pragma: no cover
    app()
