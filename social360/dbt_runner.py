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

from social360 import config, warehouse


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


def base_args() -> list[str]:
    return [
        "--project-dir", str(config.DBT_PROJECT_DIR),
        "--profiles-dir", str(config.DBT_PROJECT_DIR),
        "--target-path", str(target_path()),
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


def invoke(args: list[str], *, url: str | None = None, vars: dict[str, Any] | None = None):
    """Run one dbt command in this process; returns dbt's ``dbtRunnerResult``."""
    from dbt.cli.main import dbtRunner

    from social360 import pii_hash

    os.environ.update(connection_env(url))
    pii_hash.export_to_dbt()  # the key of the marts' personal-data hashes, as a session setting
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    command = list(args) + base_args()
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
