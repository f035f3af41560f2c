"""Great Expectations Data Docs of each gate run, as static HTML under ``$SOCIAL360_HOME/data_docs``.

One site per mart (``data_docs/<mart>/index.html`` shows the mart's latest gate: the mart and
every upstream relation it validated); each validation keeps its own page under
``validations/<suite>/<run>/...``, whose ``file://`` URL the gate stores in
``audit.gate_results.data_docs_url``. Only the newest ``KEEP_RUNS`` runs per suite are kept.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from social360 import config

log = logging.getLogger(__name__)

KEEP_RUNS = 30


def site_dir(mart: str) -> Path:
    return config.subdir("data_docs", mart)


def add_site(context: Any, mart: str) -> str:
    """Register the mart's filesystem site on a (ephemeral) GX context; return its name."""
    name = f"social360_{mart}"
    context.add_data_docs_site(
        site_name=name,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir(mart))},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return name


def build(context: Any, site_name: str, mart: str, page_of: Any | None) -> str | None:
    """Render the site; return the URL of ``page_of``'s validation page (else the index)."""
    try:
        urls = context.build_data_docs(site_names=[site_name])
    except Exception as exc:  # docs are a report: never let them block a gate
        log.warning("data docs for %s could not be built: %s", mart, exc)
        return None
    url = urls.get(site_name)
    if page_of is not None:
        try:
            from great_expectations.data_context.types.resource_identifiers import (
                ExpectationSuiteIdentifier,
                ValidationResultIdentifier,
            )

            identifier = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=page_of.suite_name),
                run_id=page_of.meta["run_id"],
                batch_identifier=page_of.batch_id,
            )
            found = context.get_docs_sites_urls(resource_identifier=identifier, site_name=site_name)
            if found and found[0].get("site_url"):
                url = found[0]["site_url"]
        except Exception as exc:  # pragma: no cover - depends on GX internals
            log.info("no page URL for %s (%s); linking the index", mart, exc)
    prune(mart)
    return url


def prune(mart: str, keep: int = KEEP_RUNS) -> None:
    """Drop validation pages of all but the newest ``keep`` runs of each suite."""
    root = site_dir(mart) / "validations"
    if not root.exists():
        return
    for suite in root.iterdir():
        runs = sorted((p for p in suite.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in runs[keep:]:
            shutil.rmtree(old, ignore_errors=True)
