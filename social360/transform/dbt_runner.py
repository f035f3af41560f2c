"""Run dbt in-process against the warehouse, and read what each node did.

The connection reaches dbt through environment variables that ``dbt_project/profiles.yml``
reads, derived from the warehouse URL; dbt's target and log folders live under
``$SOCIAL360_HOME`` so parallel homes never share artifacts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from social360.core import config, warehouse


def target_path() -> Path:
    return config.subdir("dbt", "target")


def log_path() -> Path:
    return config.subdir("dbt", "logs")


def connection_env(url: str | None = None) -> dict[str, str]:
    """The environment ``profiles.yml`` reads, from a ``postgresql://`` URL."""
    parts = urlsplit(url or warehouse.url())
    return {
        "SOCIAL360_DB_HOST": parts.hostname or "127.0.0.1",
        "SOCIAL360_DB_PORT": str(parts.port or 5432),
        "SOCIAL360_DB_USER": unquote(parts.username or ""),
        "SOCIAL360_DB_PASSWORD": unquote(parts.password or ""),
        "SOCIAL360_DB_NAME": parts.path.lstrip("/") or config.WAREHOUSE_DB,
    }


def docs_path() -> Path:
    """dbt docs live apart from the build's target: they are generated with the marts' published schema."""
    return config.subdir("dbt", "docs")


# a folder of dbt_project/ (relative to it) that dbt_project.yml adds to its model-paths
EXTRA_MODELS_ENV = "SOCIAL360_DBT_EXTRA_MODELS"
# the commands that resolve refs: ``social360 dbt`` defers their unselected published marts to ``marts``
DEFERRING_COMMANDS = {"build", "run", "test", "compile", "show", "seed", "snapshot", "ls", "list"}


def extra_model_paths() -> list[Path]:
    """The extra models folder (``SOCIAL360_DBT_EXTRA_MODELS``, under ``dbt_project/``), if any."""
    value = os.environ.get(EXTRA_MODELS_ENV)
    path = config.DBT_PROJECT_DIR / value if value else None
    return [path] if path is not None and path.is_dir() else []


def source_vars() -> dict[str, Any]:
    """dbt vars the source registry sets: the post models of sources declared outside the project."""
    from extractors import registry

    extra = registry.extra_staging_models()
    return {"extra_social_post_models": extra} if extra else {}


def base_args(target: Path | None = None) -> list[str]:
    return [
        "--project-dir", str(config.DBT_PROJECT_DIR),
        "--profiles-dir", str(config.DBT_PROJECT_DIR),
        "--target-path", str(target or target_path()),
        "--log-path", str(log_path()),
    ]


@dataclass
class NodeResult:
    unique_id: str
    name: str
    resource_type: str
    status: str
    message: str | None
    failures: int | None
    attached_to: str | None = None
    seconds: float | None = None


@dataclass
class BuildResult:
    success: bool
    nodes: list[NodeResult] = field(default_factory=list)
    error: str | None = None

    def by_model(self) -> dict[str, dict[str, Any]]:
        """Per model: whether it was built, and its failed or warned tests."""
        models: dict[str, dict[str, Any]] = {}
        for node in self.nodes:
            if node.resource_type in ("model", "seed", "snapshot"):
                models.setdefault(node.name, {"built": False, "status": None, "failed_tests": [], "warned_tests": []})
                models[node.name].update(built=node.status == "success", status=node.status)
        for node in self.nodes:
            if node.resource_type == "test" and node.attached_to in models:
                if node.status in ("fail", "error"):
                    models[node.attached_to]["failed_tests"].append(
                        {"test": node.name, "failures": node.failures, "message": node.message}
                    )
                elif node.status == "warn":
                    models[node.attached_to]["warned_tests"].append({"test": node.name, "failures": node.failures})
        return models

    def summary(self) -> dict[str, Any]:
        return {"success": self.success, "error": self.error, "models": self.by_model()}

    def slowest(self, n: int = 10) -> list[tuple[str, float]]:
        """The ``n`` nodes that took longest (name, seconds)."""
        timed = [(node.name, node.seconds or 0.0) for node in self.nodes]
        return sorted(timed, key=lambda item: -item[1])[:n]


def invoke(args: list[str], *, url: str | None = None, vars: dict[str, Any] | None = None,
           target: Path | None = None):
    """Run one dbt command in this process; returns dbt's ``dbtRunnerResult``."""
    from dbt.cli.main import dbtRunner

    from social360.core import pii_hash

    os.environ.update(connection_env(url))
    pii_hash.export_to_dbt()  # the key of the marts' personal-data hashes, as a session setting
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    command = list(args) + base_args(target)
    vars = {**source_vars(), **(vars or {})}
    if vars:
        command += ["--vars", json.dumps(vars)]
    return dbtRunner().invoke(command)


def build(select: list[str] | None = None, *, url: str | None = None, vars: dict[str, Any] | None = None,
          full_refresh: bool = False) -> BuildResult:
    """``dbt build`` (seeds, models, snapshots, tests); error-level test failures skip downstream nodes."""
    args = ["build"]
    if select:
        # only tests whose every parent is selected: a partial build must not test unbuilt models
        args += ["--select", *select, "--indirect-selection", "cautious"]
    if full_refresh:
        args.append("--full-refresh")
    result = invoke(args, url=url, vars=vars)
    if result.exception is not None:
        return BuildResult(False, error=f"{type(result.exception).__name__}: {result.exception}")
    nodes = []
    manifest_nodes = {}
    for run_result in result.result.results:
        node = run_result.node
        manifest_nodes[node.unique_id] = node
    for run_result in result.result.results:
        node = run_result.node
        attached = None
        if node.resource_type == "test":
            attached_id = getattr(node, "attached_node", None)
            if attached_id:
                attached = attached_id.split(".")[-1]
            else:
                depends = getattr(node.depends_on, "nodes", []) or []
                attached = depends[0].split(".")[-1] if depends else None
        nodes.append(
            NodeResult(
                unique_id=node.unique_id,
                name=node.name,
                resource_type=str(node.resource_type),
                status=str(run_result.status),
                message=run_result.message,
                failures=run_result.failures,
                attached_to=attached,
                seconds=getattr(run_result, "execution_time", None),
            )
        )
    return BuildResult(bool(result.success), nodes)


def parse() -> Path:
    """``dbt parse``: write ``manifest.json`` (what Airflow renders per-model tasks from)."""
    result = invoke(["parse"])
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return target_path() / "manifest.json"


def generate_docs(*, url: str | None = None) -> Path:
    """``dbt docs generate --static`` describing the published relations (``marts.*``, the tables BI
    tools read) rather than the candidates the build writes; returns ``static_index.html``, one file
    with the manifest and catalog inlined, so it opens under ``file://``."""
    from social360.core import db

    target = docs_path()
    result = invoke(["docs", "generate", "--static"], url=url, vars={"candidate_schema": db.PUBLISHED_SCHEMA},
                    target=target)
    if not result.success:
        raise RuntimeError(f"dbt docs generate failed: {result.exception}")
    return target / "static_index.html"


def published_state(url: str | None = None) -> Path:
    """A manifest of the project as published: each model with ``meta.publish`` in ``marts``, where
    the publisher moved it (``dbt parse`` with var ``published_state``), for ``--defer --state``."""
    state = config.subdir("dbt", "published-state")
    result = invoke(["parse"], url=url, vars={"published_state": True}, target=state)
    if not result.success:
        raise RuntimeError(f"dbt parse of the published state failed: {result.exception}")
    return state


def deferring_to_published(args: list[str], url: str | None = None) -> list[str]:
    """``args`` of a dbt command, deferring every published mart it does not select to ``marts``
    (``--defer --favor-state --state`` the published state): ``dbt build --select my_model`` of a
    model that refs ``fct_interactions`` reads ``marts.fct_interactions``, the validated version,
    not a candidate that was moved into ``marts`` or that its gate blocked. Unchanged when the
    command resolves no refs or the caller chose a state."""
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in DEFERRING_COMMANDS or {"--state", "--defer", "--no-defer", "--defer-state"} & set(args):
        return list(args)
    return [*args, "--defer", "--favor-state", "--state", str(published_state(url))]
