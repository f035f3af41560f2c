"""Airflow's environment for Social360: its home under ``$SOCIAL360_HOME``, the project's DAGs,
the warehouse connection, the pools, the dbt manifest and a migrated metadata database; and a
local Airflow (``airflow standalone``) with its UI.

Airflow reads its configuration when ``airflow`` is first imported, so ``prepare()`` must run
before any Airflow import in the process.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from social360.core import config, warehouse

ADMIN_USER = "admin"
DEFAULT_PORT = 8080


def airflow_home() -> Path:
    return config.subdir("airflow")


def venv_bin() -> Path:
    """The folder of this interpreter's scripts (``airflow``, ``dbt``, ``social360``)."""
    return Path(sys.executable).parent


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
        "AIRFLOW__COSMOS__CACHE_DIR": str(config.home() / "cosmos"),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "social360",
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if not os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    if not os.environ.get("AIRFLOW_CONN_WAREHOUSE"):
        env["AIRFLOW_CONN_WAREHOUSE"] = connection_json(warehouse_url or warehouse.url())
    return env


def prepare(*, migrate: bool = True) -> dict[str, str]:
    """Export Airflow's environment into this process; migrate its metadata database once, create
    the pools and (re)parse the dbt project when it changed."""
    if "airflow" in sys.modules and os.environ.get("AIRFLOW_HOME") != str(airflow_home()):
        raise RuntimeError(
            f"airflow was imported before social360.orchestration.airflow_env.prepare() (AIRFLOW_HOME="
            f"{os.environ.get('AIRFLOW_HOME')!r}, expected {str(airflow_home())!r}); configure it first"
        )
    env = environ()
    os.environ.update(env)
    if migrate:
        migrate_metadata_db()
        ensure_pools()
        from social360.orchestration.dbt_airflow import ensure_manifest

        ensure_manifest()
    return env


def migrate_metadata_db() -> None:
    """``airflow db migrate`` once per Airflow version (a marker file remembers it)."""
    from importlib.metadata import version

    marker = airflow_home() / f".migrated-{version('apache-airflow-core')}"
    if marker.exists():
        return
    subprocess.run(
        [str(venv_bin() / "airflow"), "db", "migrate"], check=True, env=os.environ.copy(), stdout=subprocess.DEVNULL
    )
    marker.touch()


def ensure_pools() -> dict[str, int]:
    """Create or resize one pool per external API (``orchestration.POOLS``); returns name -> slots."""
    from airflow.models.pool import Pool

    from social360.orchestration.dag_support import POOLS

    slots = {}
    for spec in POOLS.values():
        Pool.create_or_update_pool(spec.name, spec.configured_slots(), spec.description, include_deferred=False)
        slots[spec.name] = spec.configured_slots()
    return slots


def run_dag(dag_id: str, *, conf: dict | None = None, logical_date=None, dbt_tasks: str | None = None):
    """Run one DAG to completion in this process with ``dag.test()``; return the DagRun.

    ``logical_date`` runs the interval of that date (a backfill of one interval); default: now.
    ``dbt_tasks``: ``per_node`` (default, or ``$SOCIAL360_DBT_TASKS``) renders one task per dbt
    node as the scheduler does; ``build`` runs dbt as one task (faster: ``dag.test()`` runs tasks
    one after another, each per-node task paying dbt's start-up). ``dag.test()`` stores every DAG
    of the folder, as parsed here, as its current version: in a home a scheduler also uses, only
    the default keeps its first run from finding tasks of another shape ("removed").
    """
    from social360.core.build_lock import IN_PROCESS_ENV
    from social360.orchestration.dbt_airflow import DBT_TASKS_ENV, PER_NODE

    prepare()
    mode = dbt_tasks or os.environ.get(DBT_TASKS_ENV) or PER_NODE
    previous = os.environ.get(DBT_TASKS_ENV)
    os.environ[DBT_TASKS_ENV] = mode  # read when the DAG files are parsed, here and inside dag.test()
    os.environ[IN_PROCESS_ENV] = "1"  # a build lease taken here dies with this process
    try:
        from airflow.dag_processing.dagbag import DagBag

        bag = DagBag(dag_folder=str(config.DAGS_FOLDER))
        if bag.import_errors:
            raise RuntimeError(f"DAG import errors: {bag.import_errors}")
        dag = bag.get_dag(dag_id)
        if dag is None:
            raise LookupError(f"no DAG {dag_id!r} in {config.DAGS_FOLDER}")
        if logical_date is not None:
            return dag.test(run_conf=conf, logical_date=logical_date)
        return dag.test(run_conf=conf)
    finally:
        os.environ.pop(IN_PROCESS_ENV, None)
        if previous is None:
            os.environ.pop(DBT_TASKS_ENV, None)
        else:
            os.environ[DBT_TASKS_ENV] = previous


# --- a local Airflow with its UI ------------------------------------------------------------------


@dataclass
class LocalAirflow:
    """A running ``airflow standalone`` (api-server + scheduler + dag-processor + triggerer)."""

    process: subprocess.Popen
    url: str
    username: str
    password: str
    log_file: Path

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every Airflow process of this instance (they share one process group)."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
        try:  # the scheduler and its LocalExecutor workers may outlive their parent
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)


def free_port(preferred: int = DEFAULT_PORT) -> int:
    """``preferred`` if nothing listens there, else any free port."""
    for candidate in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError("no free port")


def standalone_environ(port: int, *, paused: bool, host: str = "127.0.0.1") -> dict[str, str]:
    """What ``airflow standalone`` needs beyond ``environ()``: the venv on PATH (it spawns ``airflow``
    subcommands), the port in the three places that name it, free ports for the task-log servers
    (so two local Airflows can run side by side), the UI login, paused or active DAGs."""
    base = f"http://localhost:{port}"
    return {
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port(8793)),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port(8794)),
        "PATH": f"{venv_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": base,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(paused),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        "SOCIAL360_DBT_TASKS": "per_node",  # the scheduler runs one task per dbt node
    }


def _passwords_file() -> Path:
    return airflow_home() / "simple_auth_manager_passwords.json.generated"


def _healthy(url: str) -> bool:
    import httpx

    try:
        health = httpx.get(f"{url}/api/v2/monitor/health", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return False
    components = ("metadatabase", "scheduler", "dag_processor", "triggerer")
    return all((health.get(c) or {}).get("status") == "healthy" for c in components)


def pause_all_dags() -> int:
    """Pause every DAG the metadata database knows (``--paused``: nothing runs until unpaused)."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import update

    with create_session() as session:
        return session.execute(update(DagModel).values(is_paused=True)).rowcount


def start_standalone(port: int | None = None, *, paused: bool = False, timeout: float = 240.0) -> LocalAirflow:
    """Start Airflow with the project's DAGs under ``$SOCIAL360_HOME``; return once every component is healthy."""
    prepare()
    if paused:
        pause_all_dags()
    port = port or free_port()
    env = {**os.environ, **standalone_environ(port, paused=paused)}
    log_file = airflow_home() / "standalone.log"
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            [str(venv_bin() / "airflow"), "standalone"],
            env=env,
            cwd=airflow_home(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # one process group: stop() ends the scheduler's workers too
        )
    url = f"http://localhost:{port}"
    server = LocalAirflow(process, url, ADMIN_USER, "", log_file)
    deadline = time.monotonic() + timeout
    while not _healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            server.stop()
            tail = "\n".join(log_file.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"airflow standalone did not become healthy on {url}; log {log_file}:\n{tail}")
        time.sleep(1)
    server.password = json.loads(_passwords_file().read_text())[ADMIN_USER]
    return server


def init_only() -> dict[str, str]:
    """Everything ``start_standalone`` prepares (metadata DB, pools, manifest), without starting
    Airflow: the compose file's ``airflow-init`` runs this."""
    prepare()
    return {"airflow_home": str(airflow_home()), "dags": str(config.DAGS_FOLDER)}
