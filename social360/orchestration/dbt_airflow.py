"""dbt inside Airflow: the manifest cosmos renders one task per dbt node from, the task group
itself, and each mart's dbt outcome for its gate.

cosmos (``DbtTaskGroup``, ``ExecutionMode.LOCAL``, ``LoadMode.DBT_MANIFEST``,
``TestBehavior.BUILD``) turns every model, seed and snapshot into one task running ``dbt build``
of that node: the node, then its tests, with the task's own retries and logs; every test with
several parents (relationships) becomes a task of its own after both parents. A failed test
fails its task at once (no retry: the data will not change by waiting); a database error
retries. Every task reports what dbt did to each node (dbt's ``NodeFinished`` events) to XCom
through a cosmos callback, so the gate of each mart reads the outcome of exactly the dbt nodes it
depends on, with the names of failed tests.

``SOCIAL360_DBT_TASKS=build`` renders a single task that runs ``dbt build`` of the whole project
instead and reports the same way; the tests' ``dag.test()`` runs use it, because they run every
task one after another in one process, where each per-node task pays dbt's start-up again (the
demo and ``social360 run`` keep the scheduler's shape: ``airflow_env.run_dag``). Without a manifest
(``social360 setup`` never ran) the group falls back to
that single task too, so the DAG still imports and works.

The module is import-light: cosmos and dbt are imported inside the functions that need them.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from social360.core import config
from social360.core.catalog import published_marts

log = logging.getLogger(__name__)

GROUP_ID = "dbt"
DBT_TASKS_ENV = "SOCIAL360_DBT_TASKS"
PER_NODE, SINGLE_BUILD = "per_node", "build"
RESULTS_XCOM_KEY = "dbt_results"
PROFILE_NAME = "social360"
TARGET_NAME = "warehouse"
BUILD_TASK_ID = "build"
WAREHOUSE_CONN_ID = "warehouse"  # the Airflow connection dbt tasks read the warehouse from
DBT_NODE_TIMEOUT = timedelta(minutes=20)
_PROJECT_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}
_IGNORED_DIRS = {"target", "logs", "dbt_packages"}


# --- the manifest -----------------------------------------------------------------------------


def manifest_path() -> Path:
    """Where the parsed project lives for Airflow: ``$SOCIAL360_HOME/dbt/manifest.json``."""
    return config.home() / "dbt" / "manifest.json"


def _project_files() -> list[Path]:
    """The dbt project's files, and those of the extra models folder (``SOCIAL360_DBT_EXTRA_MODELS``)."""
    from social360.transform import dbt_runner

    files = []
    for root in (config.DBT_PROJECT_DIR, *dbt_runner.extra_model_paths()):
        for path in root.rglob("*"):
            if path.is_file() and path.suffix in _PROJECT_SUFFIXES and not _IGNORED_DIRS & set(path.relative_to(root).parts):
                files.append(path)
    return files


def manifest_is_stale(path: Path | None = None) -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    path = path or manifest_path()
    if not path.exists():
        return True
    built = path.stat().st_mtime
    return any(f.stat().st_mtime > built for f in _project_files())


def parse_project(target: Path) -> Path:
    """``dbt parse`` into ``target`` (its own folder: the CLI's partial-parse state stays untouched).
    Parsing needs no database, so this never starts the embedded warehouse."""
    from dbt.cli.main import dbtRunner

    from social360.core import warehouse
    from social360.transform import dbt_runner

    url = warehouse.external_url() or f"postgresql://{warehouse.APP_USER}@127.0.0.1:5432/{config.WAREHOUSE_DB}"
    env = {**dbt_runner.connection_env(url), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        result = dbtRunner().invoke([
            "parse", "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir", str(config.DBT_PROJECT_DIR),
            "--target-path", str(target), "--log-path", str(dbt_runner.log_path()),
            *(["--vars", json.dumps(source_vars)] if (source_vars := dbt_runner.source_vars()) else []),
        ])
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return target / "manifest.json"


def ensure_manifest(*, force: bool = False) -> Path:
    """Parse the dbt project when it changed, and publish its manifest atomically."""
    path = manifest_path()
    if not force and not manifest_is_stale(path):
        return path
    parsed = parse_project(config.subdir("dbt", "manifest-target"))
    partial = path.with_suffix(".json.tmp")
    partial.write_bytes(parsed.read_bytes())
    os.replace(partial, path)  # the dag-processor never reads a half-written file
    return path


# --- what each dbt task did --------------------------------------------------------------------


def _short(text: Any, limit: int = 500) -> str | None:
    return None if text is None else str(text)[:limit]


_reported: list[dict[str, Any]] = []  # NodeFinished events of the dbt command running in this process
_manifest_cache: dict[str, Any] = {}


def collect_node_result(event: Any) -> None:
    """dbtRunner callback: remember what dbt did with each node (dbt's ``NodeFinished`` event).
    Never raises: an exception here would fail the dbt node itself."""
    try:
        if event.info.name != "NodeFinished":
            return
        node, result = event.data.node_info, event.data.run_result
        status = str(result.status)
        _reported.append(
            {
                "unique_id": node.unique_id,
                "name": node.node_name,
                "resource_type": node.resource_type,
                "status": status,
                "message": _short(result.message or None),
                "failures": result.num_failures if status in ("fail", "warn", "pass") else None,
            }
        )
    except Exception:  # pragma: no cover - a changed event schema; the gate then blocks on missing results
        log.exception("could not read a dbt NodeFinished event")


def _parsed_manifest() -> dict[str, Any]:
    path = manifest_path()
    key = f"{path}:{path.stat().st_mtime if path.exists() else 0}"
    if key not in _manifest_cache:
        _manifest_cache.clear()
        _manifest_cache[key] = json.loads(path.read_text()) if path.exists() else {}
    return _manifest_cache[key]


def start_dbt_task(context: Any) -> None:
    """``pre_execute`` of every dbt task: renew the run's build lease, hand dbt's connections the
    key of the personal-data hashes (``social360.core.pii_hash``), forget results of an earlier
    command in this process, and freeze the long-lived heap so the ``gc.collect()`` cosmos runs
    after dbt scans only dbt's objects."""
    import gc

    from social360.core import build_lock, pii_hash

    pii_hash.export_to_dbt()
    _reported.clear()
    dag_run = context.get("dag_run") if hasattr(context, "get") else None
    if dag_run is not None and not build_lock.renew(build_lock.holder_of(dag_run.dag_id, dag_run.run_id)):
        log.warning("this run does not hold the build lease (expired or taken over)")
    gc.freeze()


def push_results(project_dir: str, context: dict[str, Any] | None = None, **_: Any) -> None:
    """cosmos ``callback``: runs after every dbt command (also when it failed) and pushes what each
    node did to XCom for the gates, tests with the model they test."""
    nodes = _parsed_manifest().get("nodes", {})
    task_node = ((getattr(context.get("task"), "extra_context", None) or {}).get("dbt_node_config") or {})
    results = []
    for reported in _reported:
        attached = None
        if reported["resource_type"] == "test":
            node = nodes.get(reported["unique_id"], {})
            parent = node.get("attached_node") or task_node.get("unique_id")
            attached = parent.split(".")[-1] if parent else None
        results.append({**reported, "attached_to": attached})
    _reported.clear()
    context["ti"].xcom_push(key=RESULTS_XCOM_KEY, value=results)
    failed = [r for r in results if r["resource_type"] == "test" and r["status"] == "fail"]
    if failed:
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(
            "dbt tests failed (not retried): "
            + ", ".join(f"{r['name']} ({r['failures']} rows) on {r['attached_to']}" for r in failed)
        )


# --- each mart's outcome, for its gate ---------------------------------------------------------


@dataclass
class MartDbtTasks:
    """The dbt tasks whose results decide a mart's gate (task ids, group prefix included)."""

    own: list[str] = field(default_factory=list)  # the task building and testing the mart
    detached_tests: list[str] = field(default_factory=list)  # multi-parent tests involving the mart
    upstream: list[str] = field(default_factory=list)  # everything the mart's run waits for

    @property
    def all(self) -> list[str]:
        return self.own + self.detached_tests


def mart_outcome(mart: str, tasks: MartDbtTasks, pull: Callable[[str], list[dict] | None]) -> dict[str, Any]:
    """The dbt outcome of one mart in the shape ``pipeline.gate`` reads (``dbt_runner`` summary).

    Missing results count against the mart: a model that did not report is not built (the
    reason names the failed upstream nodes), and a test task that did not report failed.
    """
    from social360.transform.dbt_runner import BuildResult, NodeResult

    reported = {task_id: pull(task_id) for task_id in tasks.all}
    nodes = [NodeResult(**n) for results in reported.values() for n in (results or [])]
    outcome = BuildResult(True, nodes).by_model().get(mart)
    if outcome is None or not outcome["built"]:
        failed_upstream = [
            n for task_id in tasks.upstream for n in (pull(task_id) or [])
            if n["status"] in ("error", "fail")
        ]
        names = ", ".join(
            f"{'test' if n['resource_type'] == 'test' else n['resource_type']} {n['name']}"
            + (f" on {n['attached_to']}" if n.get("attached_to") else "")
            for n in failed_upstream
        )
        status = (outcome or {}).get("status") or "not run"
        outcome = {
            "built": False,
            "status": f"{status}; upstream dbt failures: {names}" if names else status,
            "failed_tests": (outcome or {}).get("failed_tests", []) + [
                {"test": n["name"], "failures": n["failures"], "message": n["message"]}
                for n in failed_upstream if n["resource_type"] == "test"
            ],
            "warned_tests": (outcome or {}).get("warned_tests", []),
        }
        return outcome
    for task_id in tasks.own:
        if reported.get(task_id) is None:
            outcome["failed_tests"].append(
                {"test": f"{task_id} (reported no results)", "failures": None, "message": "task failed before dbt ran"}
            )
    for task_id in tasks.detached_tests:
        if reported.get(task_id) is None:
            outcome["warned_tests"].append({"test": f"{task_id} (not run)", "failures": None})
    return outcome


# --- the task group -----------------------------------------------------------------------------


def operator_args() -> dict[str, Any]:
    """Arguments of every cosmos task: the CLI's profiles.yml fed from the ``warehouse`` connection,
    the run's ``as_of`` and ``full_refresh`` params, and the callback that reports results."""

    conn = f"conn.{WAREHOUSE_CONN_ID}"
    return {
        "install_deps": False,
        "env": {
            "SOCIAL360_DB_HOST": f"{{{{ {conn}.host }}}}",
            "SOCIAL360_DB_PORT": f"{{{{ {conn}.port or 5432 }}}}",
            "SOCIAL360_DB_USER": f"{{{{ {conn}.login }}}}",
            "SOCIAL360_DB_PASSWORD": f"{{{{ {conn}.password }}}}",
            "SOCIAL360_DB_NAME": f"{{{{ {conn}.schema }}}}",
            "DBT_TARGET": TARGET_NAME,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        "vars": {"as_of": "{{ params.as_of or '' }}"},
        "full_refresh": "{{ params.full_refresh }}",
        # No JSON artifacts: writing manifest.json costs more than most models; results reach the
        # gates through dbt's events instead of run_results.json.
        "dbt_cmd_global_flags": ["--no-write-json"],
        "dbt_runner_callbacks": [collect_node_result],
        "pre_execute": start_dbt_task,
        "callback": push_results,
        "execution_timeout": DBT_NODE_TIMEOUT,
    }


def cosmos_task_group(manifest: Path, group_id: str = GROUP_ID):
    """The dbt project as a ``DbtTaskGroup``: one ``dbt build`` task per model, seed and snapshot."""
    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ExecutionMode,
        InvocationMode,
        LoadMode,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
        TestBehavior,
        TestIndirectSelection,
    )

    project = ProjectConfig(dbt_project_path=config.DBT_PROJECT_DIR, manifest_path=manifest)
    # A plain path: cosmos' ObjectStoragePath would load every Airflow plugin (FastAPI) to track
    # lineage of this read, tripling the DAG's parse time.
    project.manifest_path = manifest
    return DbtTaskGroup(
        group_id=group_id,
        project_config=project,
        profile_config=ProfileConfig(
            profile_name=PROFILE_NAME,
            target_name=TARGET_NAME,
            profiles_yml_filepath=config.DBT_PROJECT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
            # A node's task runs only the tests of that node; tests that also read another node
            # run in their own task once both are built.
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
            # Consumers schedule on the published marts (assets of the publish tasks), never on
            # candidate tables, so cosmos' own lineage assets would only add noise.
            emit_datasets=False,
        ),
        operator_args=operator_args(),
        tooltip="dbt models and their tests (astronomer-cosmos, one task per node)",
    )


def _operators(task_or_group: Any) -> list[Any]:
    children = getattr(task_or_group, "children", None)
    if children is None:
        return [task_or_group]
    return [op for child in children.values() for op in _operators(child)]


def _mart_tasks_from_cosmos(group: Any) -> dict[str, MartDbtTasks]:
    nodes = group.dbt_graph.filtered_nodes
    tasks: dict[str, MartDbtTasks] = {}
    for mart in published_marts(manifest_path()):
        model_id = next((uid for uid, n in nodes.items() if n.resource_type.value == "model" and n.name == mart), None)
        if model_id is None or model_id not in group.tasks_map:
            tasks[mart] = MartDbtTasks()
            continue
        own = _operators(group.tasks_map[model_id])
        detached = [
            op for uid, task in group.tasks_map.items()
            if uid.startswith("test.") and model_id in (nodes[uid].depends_on if uid in nodes else [])
            for op in _operators(task)
        ]
        first = own[0]
        upstream = sorted(t for t in first.get_flat_relative_ids(upstream=True) if t.startswith(f"{group.group_id}."))
        tasks[mart] = MartDbtTasks(
            own=[op.task_id for op in own], detached_tests=[op.task_id for op in detached], upstream=upstream
        )
    return tasks


def build_task_group(group_id: str = GROUP_ID):
    """One task runs ``dbt build`` of the whole project and reports like the per-node tasks."""
    from airflow.sdk import TaskGroup, task


    with TaskGroup(group_id=group_id, tooltip="dbt build of the whole project in one task") as group:

        @task(task_id=BUILD_TASK_ID, execution_timeout=DBT_NODE_TIMEOUT * 3)
        def build(params: dict | None = None, ti=None, dag_run=None) -> dict:
            """dbt build of every model, seed and snapshot with their tests, in one dbt command."""
            from social360.orchestration.stages import keeping_build_lock
            from social360.transform import dbt_runner

            params = params or {}
            with keeping_build_lock(dag_run):
                result = dbt_runner.build(
                    vars={"as_of": params["as_of"]} if params.get("as_of") else None,
                    full_refresh=bool(params.get("full_refresh")),
                )
            if result.error:
                raise RuntimeError(f"dbt build could not run: {result.error}")
            ti.xcom_push(key=RESULTS_XCOM_KEY, value=[n.__dict__ for n in result.nodes])
            return {"success": result.success, "nodes": len(result.nodes)}

        build()
    return group


def dbt_tasks_mode() -> str:
    """``per_node`` (default: one task per dbt node) or ``build`` (one task), from ``SOCIAL360_DBT_TASKS``."""
    mode = os.environ.get(DBT_TASKS_ENV) or PER_NODE
    if mode not in (PER_NODE, SINGLE_BUILD):
        raise ValueError(f"{DBT_TASKS_ENV} must be {PER_NODE!r} or {SINGLE_BUILD!r}, not {mode!r}")
    return mode


def dbt_task_group(group_id: str = GROUP_ID) -> tuple[Any, dict[str, MartDbtTasks]]:
    """The dbt task group for the build DAG and, per published mart, the tasks its gate reads."""
    manifest = manifest_path()
    if dbt_tasks_mode() == SINGLE_BUILD:
        log.info("%s=%s: one dbt build task", DBT_TASKS_ENV, SINGLE_BUILD)
    elif manifest.exists():
        try:
            group = cosmos_task_group(manifest, group_id)
        except Exception as exc:  # a broken manifest must not take the DAG down with it
            log.warning("cosmos could not render %s (%s); falling back to one dbt build task", manifest, exc)
        else:
            _tune_cosmos_tasks(group)
            return group, _mart_tasks_from_cosmos(group)
    else:
        log.warning("no dbt manifest at %s (run `social360 setup`); one dbt build task instead of one per node", manifest)
    group = build_task_group(group_id)
    only = f"{group_id}.{BUILD_TASK_ID}"
    return group, {mart: MartDbtTasks(own=[only], upstream=[only]) for mart in published_marts()}


def _tune_cosmos_tasks(group: Any) -> None:
    """Tasks that only run tests are deterministic: a failed test is reported at once, not retried."""
    for op in _operators(group):
        if type(op).__name__.startswith("DbtTest"):
            op.retries = 0
