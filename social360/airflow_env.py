"""Airflow's environment for Social360: its home under ``$SOCIAL360_HOME``, the project's DAGs,
the warehouse connection, and a migrated metadata database.

Airflow reads its configuration when ``airflow`` is first imported, so ``prepare()`` must run
before any Airflow import in the process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

from social360 import config, warehouse


def airflow_home() -> Path:
    return config.subdir("airflow")


def connection_json(url: str) -> str:
    """An Airflow connection (JSON form) for a ``postgresql://`` URL."""
    parts = urlsplit(url)
    return json.dumps(
        {
            "conn_type": "postgres",
            "host": parts.hostname,
            "port": parts.port or 5432,
            "login": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "schema": parts.path.lstrip("/"),
        }
    )


def environ(*, warehouse_url: str | None = None) -> dict[str, str]:
    """Environment variables that configure Airflow for this project (values never written to the repo)."""
    home = airflow_home()
    env = {
        "SOCIAL360_HOME": str(config.home()),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(config.DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__ENABLE_DATASET_AIRFLOW3_URI": "True",
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if not os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    url = warehouse_url or warehouse.url()
    if not os.environ.get("AIRFLOW_CONN_WAREHOUSE"):
        env["AIRFLOW_CONN_WAREHOUSE"] = connection_json(url)
    return env


def prepare(*, migrate: bool = True) -> dict[str, str]:
    """Export Airflow's environment into this process and migrate its metadata database once."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(airflow_home()):
        raise RuntimeError("airflow was imported before social360.airflow_env.prepare(); configure it first")
    env = environ()
    os.environ.update(env)
    if migrate:
        migrate_metadata_db()
    return env


def migrate_metadata_db() -> None:
    """``airflow db migrate`` once per Airflow version (a marker file remembers it)."""
    from importlib.metadata import version

    marker = airflow_home() / f".migrated-{version('apache-airflow-core')}"
    if marker.exists():
        return
    airflow = Path(sys.executable).with_name("airflow")
    subprocess.run([str(airflow), "db", "migrate"], check=True, env=os.environ.copy(), stdout=subprocess.DEVNULL)
    marker.touch()


def run_dag(dag_id: str, *, conf: dict | None = None):
    """Run one DAG to completion in this process with ``dag.test()``; return the DagRun."""
    prepare()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(config.DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise LookupError(f"no DAG {dag_id!r} in {config.DAGS_FOLDER}")
    return dag.test(run_conf=conf)
