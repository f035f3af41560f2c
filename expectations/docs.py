"""Great Expectations Data Docs of each gate run, as static HTML under ``$SOCIAL360_HOME/data_docs``.

One site per mart (``data_docs/<mart>/index.html`` shows the mart's latest gate: the mart and
every upstream relation it validated); each validation keeps its own page under
``validations/<suite>/<run>/...``, whose ``file://`` URL the gate stores in
``audit.gate_results.data_docs_url``. Only the newest runs per suite are kept (``[data_docs]
keep_runs`` in gate.toml, 30 by default). The pages load nothing from the network: GX's templates
link Bootstrap, jQuery, Vega and Font Awesome from CDNs, and those tags are removed (GX's own
stylesheet, copied into the site, stays, with a few inline rules in their place), so every section
of a page is shown expanded and readable offline.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

from social360.core import config

log = logging.getLogger(__name__)

CDN_TAG = re.compile(
    r"""<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//[^>]*>(?:\s*</script>)?""", re.IGNORECASE)
OFFLINE_STYLE = """<style>
body { font-family: -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif; margin: 16px; color: #222; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ddd; padding: 4px 8px; }
.alert-danger, .text-danger { color: #c62828; } .text-success { color: #1a7f37; }
</style>"""


def _index_builder_base():
    from great_expectations.render.renderer.site_builder import DefaultSiteIndexBuilder

    return DefaultSiteIndexBuilder


class HistorySiteIndexBuilder(_index_builder_base()):
    """GX's index builder deletes every page whose result is not in the context's store; our contexts
    are ephemeral (they hold this run only), so that would erase all earlier runs' pages (and the
    URLs audit.gate_results keeps). This one keeps them; :func:`prune` bounds how many."""

    def build(self, skip_and_clean_missing: bool = False, build_index: bool = True):
        return super().build(skip_and_clean_missing=False, build_index=build_index)


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
            "site_index_builder": {"module_name": "expectations.docs", "class_name": "HistorySiteIndexBuilder"},
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
    make_offline(site_dir(mart))
    from expectations import gate_settings as gate_config

    prune(mart, keep=gate_config.load().data_docs_keep_runs)
    return url


def make_offline(root: Path) -> None:
    """Drop the CDN script and stylesheet tags of every page under ``root`` (see the module doc)."""
    for page in root.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        offline, found = CDN_TAG.subn("", text)
        if found:
            page.write_text(offline.replace("</head>", OFFLINE_STYLE + "</head>", 1), encoding="utf-8")


def prune(mart: str, keep: int = 30) -> None:
    """Drop validation pages of all but the newest ``keep`` runs of each suite.

    Pages sit at ``validations/<suite, dots as folders>/<run name>/<run time>/<batch>.html``."""
    root = site_dir(mart) / "validations"
    if not root.exists():
        return
    runs_of: dict[Path, set[Path]] = {}
    for page in root.rglob("*.html"):
        run = page.parent.parent
        runs_of.setdefault(run.parent, set()).add(run)
    for runs in runs_of.values():
        newest_first = sorted(runs, key=lambda p: p.stat().st_mtime, reverse=True)
        for old in newest_first[keep:]:
            shutil.rmtree(old, ignore_errors=True)
