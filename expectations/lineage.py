"""Which staging and raw relations a mart is built from, read from dbt's manifest.

The gate validates those relations with their own suites before it trusts the mart. The
manifest is the one ``dbt build``/``dbt parse`` wrote under ``$SOCIAL360_HOME/dbt`` (the newest
of the CLI's target folder and Airflow's copy); without one, each mart's declared ``upstream``
is used.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

from social360.core.catalog import newest_manifest

log = logging.getLogger(__name__)

GATED_LAYERS = ("staging", "raw")


@lru_cache(maxsize=8)
def _relations_by_node(path: str, mtime: float) -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
    """(node id -> ``schema.relation``, node id -> parent ids, model name -> node id) of one manifest."""
    data = json.loads(Path(path).read_text())
    relations: dict[str, str] = {}
    parents: dict[str, list[str]] = {}
    models: dict[str, str] = {}
    for node_id, node in data.get("nodes", {}).items():
        if node.get("resource_type") not in ("model", "seed", "snapshot"):
            continue
        relations[node_id] = f"{node.get('schema')}.{node.get('alias') or node.get('name')}"
        parents[node_id] = list((node.get("depends_on") or {}).get("nodes") or [])
        if node.get("resource_type") == "model":
            models[node["name"]] = node_id
    for node_id, source in data.get("sources", {}).items():
        relations[node_id] = f"{source.get('schema')}.{source.get('identifier') or source.get('name')}"
        parents[node_id] = []
    return relations, parents, models


def upstream_relations(mart: str) -> list[str] | None:
    """``schema.table`` of every staging model and raw source ``mart`` depends on, or None without a
    usable manifest."""
    path = newest_manifest()
    if path is None:
        return None
    try:
        relations, parents, models = _relations_by_node(str(path), path.stat().st_mtime)
    except (OSError, ValueError) as exc:
        log.warning("cannot read dbt manifest %s: %s", path, exc)
        return None
    start = models.get(mart)
    if start is None:
        return None
    seen: set[str] = set()
    stack = list(parents.get(start, []))
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        stack.extend(parents.get(node, []))
    found = {relations[n] for n in seen if n in relations}
    return sorted(r for r in found if r.split(".", 1)[0] in GATED_LAYERS)
