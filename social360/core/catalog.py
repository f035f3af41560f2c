"""Names every stage agrees on: raw landing tables and published marts (no heavy imports)."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

from extractors import registry

log = logging.getLogger(__name__)

# every raw table a declared source lands (extractors/<source>/__init__.py)
SOCIAL_RAW_TABLES = registry.raw_tables()
CRM_RAW_TABLES = ("crm_customers", "crm_orders", "crm_support_tickets")
RAW_TABLES = SOCIAL_RAW_TABLES + CRM_RAW_TABLES


def raw_tables() -> tuple[str, ...]:
    """Every raw table, read from the registry when called (a source declared through
    ``SOCIAL360_SOURCE_MODULES`` after this module was imported counts too)."""
    return registry.raw_tables() + CRM_RAW_TABLES

# The product's published marts: the models its yml marks `meta: {publish: true}`. The running
# list is `published_marts()`, read from dbt's manifest (so a model published by its yml alone is
# gated and published too); this one serves when no manifest was parsed yet.
PUBLISHED_MARTS = (
    "dim_customers",
    "fct_interactions",
    "mart_sentiment",
    "mart_response_times",
    "mart_response_times_daily",
    "mart_priority_queue",
)

PUBLISHED_SCHEMA = "marts"
CANDIDATE_SCHEMA = "marts_candidate"


def manifest_candidates() -> list[Path]:
    """Where dbt's manifest may be: the CLI's target folder and Airflow's copy."""
    from social360.core import config

    base = config.home() / "dbt"
    return [base / "target" / "manifest.json", base / "manifest.json"]


def newest_manifest() -> Path | None:
    found = [p for p in manifest_candidates() if p.exists()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def manifest_nodes(path: Path | None = None) -> dict[str, dict] | None:
    """The nodes of dbt's newest manifest under ``$SOCIAL360_HOME/dbt`` (None: none parsed yet)."""
    path = path or newest_manifest()
    if path is None:
        return None
    try:
        return _nodes(str(path), path.stat().st_mtime)
    except (OSError, ValueError) as exc:
        log.warning("cannot read dbt manifest %s: %s", path, exc)
        return None


@lru_cache(maxsize=4)
def _nodes(path: str, mtime: float) -> dict[str, dict]:
    return json.loads(Path(path).read_text()).get("nodes", {})


def is_published(node: dict) -> bool:
    """A model its yml publishes: ``config: {meta: {publish: true}}``."""
    meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
    return node.get("resource_type") == "model" and meta.get("publish") is True


def published_marts(path: Path | None = None) -> tuple[str, ...]:
    """The marts each build gates and publishes: every model with ``meta.publish`` in the manifest,
    the product's first and in their order, then the others by name."""
    nodes = manifest_nodes(path)
    if nodes is None:
        return PUBLISHED_MARTS
    found = {node["name"] for node in nodes.values() if is_published(node)}
    return tuple(m for m in PUBLISHED_MARTS if m in found) + tuple(sorted(found - set(PUBLISHED_MARTS)))
