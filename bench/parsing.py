"""DAG parse time, side by side with parsing one empty DAG file.

    python -m bench.parsing [--rounds 7]

Each measurement is a fresh interpreter that imports Airflow (as the dag-processor has) and then
times ``DagBag`` filling itself from a folder (bytecode of the project's modules compiled first,
as ``make install`` leaves it): the project's ``dags/`` (all three DAG files)
against a folder holding one empty DAG (a single EmptyOperator). Rounds alternate the two; the
median of each is compared. Target: all of the project's DAG files <= 2x one empty DAG file.

A second reading follows Airflow's "testing DAG loading" advice (``time python dag_file.py``, less
``time python -c ''``): the wall time of a fresh interpreter that loads the folder, Airflow's own
import included, less a bare interpreter's start-up. It is what a cold parse of the files costs,
and it is where heavy top-level imports (pandas, dbt, great_expectations) would show.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Figure, machine, median, print_table

EMPTY_DAG = '''
import pendulum
from airflow.sdk import dag
from airflow.providers.standard.operators.empty import EmptyOperator


@dag(dag_id="empty", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def empty():
    EmptyOperator(task_id="nothing")


empty()
'''

PROBE = """
import json, sys, time
import airflow.sdk
from airflow.dag_processing.dagbag import DagBag
start = time.perf_counter()
bag = DagBag(dag_folder=sys.argv[1])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "dags": len(bag.dags), "errors": len(bag.import_errors)}))
"""


COLD_PROBE = """
import sys
import airflow.sdk
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
sys.exit(1 if bag.import_errors else 0)
"""


def cold_seconds(folder: Path | None, env: dict) -> float:
    """Wall time of a fresh interpreter loading ``folder`` (None: a bare interpreter)."""
    import time

    args = [sys.executable, "-c", COLD_PROBE, str(folder)] if folder else [sys.executable, "-c", ""]
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, timeout=300, capture_output=True)
    return time.perf_counter() - start


def parse_seconds(folder: Path, env: dict) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", PROBE, str(folder)], capture_output=True, text=True, env=env,
                         check=True, timeout=300)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(f"import errors while parsing {folder}")
    return result["seconds"], result["dags"]


def main(argv: list[str] | None = None) -> list[Figure]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="ignored: parse time does not depend on data")
    args = parser.parse_args(argv)
    from social360.core import config
    from social360.orchestration import airflow_env

    env = {**os.environ, **airflow_env.environ()}
    airflow_env.prepare()
    for package in ("dags", "social360", "extractors", "enrichment", "expectations"):
        compileall.compile_dir(str(config.REPO_ROOT / package), quiet=1)
    per_node_env = {**env, "SOCIAL360_DBT_TASKS": "per_node"}
    single_env = {**env, "SOCIAL360_DBT_TASKS": "build"}
    project, single, empty, cold_project, cold_empty, bare = [], [], [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        empty_folder = Path(scratch)
        (empty_folder / "empty_dag.py").write_text(EMPTY_DAG)
        for _ in range(args.rounds):
            seconds, dags = parse_seconds(config.DAGS_FOLDER, per_node_env)
            project.append(seconds)
            single.append(parse_seconds(config.DAGS_FOLDER, single_env)[0])
            empty.append(parse_seconds(empty_folder, env)[0])
            bare.append(cold_seconds(None, env))
            cold_project.append(cold_seconds(config.DAGS_FOLDER, per_node_env))
            cold_empty.append(cold_seconds(empty_folder, env))
        files = {path.name: median([parse_seconds(path, per_node_env)[0] for _ in range(3)])
                 for path in sorted(config.DAGS_FOLDER.glob("*.py"))}
    ratio = median(project) / median(empty)
    single_ratio = median(single) / median(empty)
    cold_ratio = (median(cold_project) - median(bare)) / (median(cold_empty) - median(bare))
    figures = [
        Figure("parse all DAG files / parse one empty DAG file", ratio, "<= 2", ratio <= 2,
               f"{dags} DAGs, one task per dbt node: median {median(project) * 1000:.0f} ms vs "
               f"{median(empty) * 1000:.0f} ms; per file: "
               + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in files.items())),
        Figure("same, dbt as one task (SOCIAL360_DBT_TASKS=build)", single_ratio, "<= 2", single_ratio <= 2,
               f"median {median(single) * 1000:.0f} ms"),
        Figure("cold: fresh interpreter loading all DAG files / loading one empty DAG file", cold_ratio, "<= 2",
               cold_ratio <= 2,
               f"Airflow's import included, bare interpreter start-up ({median(bare) * 1000:.0f} ms) subtracted: "
               f"{(median(cold_project) - median(bare)) * 1000:.0f} ms vs "
               f"{(median(cold_empty) - median(bare)) * 1000:.0f} ms"),
    ]
    print_table(f"DAG parsing ({machine()})", figures)
    return figures


if __name__ == "__main__":
    main()
