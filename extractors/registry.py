"""The registry of sources: one declaration per source, which every stage reads.

A source declares itself as ``SOURCE = Source(...)`` in its package's ``__init__.py``
(``extractors/<source>/``), or in any importable module named in ``SOCIAL360_SOURCE_MODULES``
(comma-separated: a source kept outside the project). The declaration says which raw tables the
source lands (the migrations create them, the DAGs publish them as assets), the API pool that
paces it and its size, its settings and their environment variables, the function that
extracts it (``"module:function"``, imported only when it runs) and the SQL of a post's text in
its raw payload (what enrichment scores).

Standard library only, and nothing imported but the declarations: DAG files read the registry at
parse time.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

PLUGIN_ENV = "SOCIAL360_SOURCE_MODULES"
KINDS = ("api", "feed", "dump")


@dataclass(frozen=True)
class Pool:
    """An Airflow pool: the tasks that call one external system share its rate limit."""

    name: str
    slots: int
    description: str

    def configured_slots(self) -> int:
        """Slots from ``SOCIAL360_POOL_<NAME>_SLOTS`` when set (a bigger API tier), else the default."""
        value = os.environ.get(f"SOCIAL360_POOL_{self.name.upper()}_SLOTS")
        return int(value) if value else self.slots


@dataclass(frozen=True)
class Setting:
    """One setting of a source: the key in its Airflow connection's extra (or ``secret`` / ``login``,
    the connection's password and login) and the environment variable that may give it instead."""

    key: str
    env: str
    help: str = ""


@dataclass(frozen=True)
class Source:
    """One source of social posts."""

    name: str
    kind: str  # "api": polled from a platform's API; "feed": a local feed; "dump": imported files
    raw_tables: tuple[str, ...]
    text_of: Mapping[str, str]  # raw table -> SQL of the post's text in its ``payload``
    description: str = ""
    extract: str | None = None  # "module:function(run_id, settings)" for API sources, "(run_id)" for feeds
    pool: Pool | None = None
    secret: Setting | None = None
    login: Setting | None = None
    settings: tuple[Setting, ...] = ()
    optional_settings: tuple[str, ...] = ()  # keys read from SOCIAL360_<SOURCE>_<KEY> when set
    default_base_url: str | None = None
    staging_model: str | None = None  # its stg_<source>__social_posts model (docs/ARCHITECTURE.md)
    has_data: str | None = None  # feeds: "module:function()", true when the feed holds data to extract
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"source {self.name!r}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        missing = [t for t in self.text_of if t not in self.raw_tables]
        if missing:
            raise ValueError(f"source {self.name!r}: text_of names tables it does not land: {missing}")
        if self.kind != "dump" and not self.extract:
            raise ValueError(f"source {self.name!r}: an {self.kind} source needs an extract function")

    def extract_function(self) -> Callable[..., Any]:
        return _function(self.extract or "")

    def holds_data(self) -> bool:
        """A feed with data to extract (an API source is configured by its settings instead)."""
        return bool(self.has_data) and bool(_function(self.has_data)())


def _function(reference: str) -> Callable[..., Any]:
    module, _, function = reference.partition(":")
    return getattr(importlib.import_module(module), function)


def _declared_in(module_name: str) -> Source:
    module = importlib.import_module(module_name)
    source = getattr(module, "SOURCE", None)
    if not isinstance(source, Source):
        raise ValueError(f"{module_name} declares no SOURCE = Source(...)")
    return source


@cache
def _sources(plugins: tuple[str, ...]) -> dict[str, Source]:
    found: dict[str, Source] = {}
    here = str(Path(__file__).resolve().parent)  # the extractors package, found by path, not imported here
    names = [f"extractors.{info.name}" for info in pkgutil.iter_modules([here]) if info.ispkg]
    names += plugins
    for module_name in names:
        module = importlib.import_module(module_name)
        if not hasattr(module, "SOURCE") and module_name.startswith("extractors."):
            continue  # a shared package of the extractors, not a source
        source = _declared_in(module_name)
        if source.name in found:
            raise ValueError(f"source {source.name!r} is declared twice ({module_name})")
        found[source.name] = source
    return found


def sources() -> dict[str, Source]:
    """Every declared source by name: the project's own, then those of ``SOCIAL360_SOURCE_MODULES``."""
    return _sources(tuple(plugin_modules()))


def get(name: str) -> Source:
    """The source of a configured name (``x``, or ``x:second_brand`` for a second account of X)."""
    family = name.split(":", 1)[0].strip().lower()
    try:
        return sources()[family]
    except KeyError:
        raise ValueError(f"unknown social source {name!r}; expected one of {', '.join(sources())}") from None


def of_kind(kind: str) -> list[Source]:
    return [s for s in sources().values() if s.kind == kind]


def raw_tables() -> tuple[str, ...]:
    """Every raw table a social source lands, once, in declaration order."""
    return tuple(dict.fromkeys(t for s in sources().values() for t in s.raw_tables))


def text_of() -> dict[str, str]:
    """The SQL of a post's text in the payload of each raw table that holds posts."""
    texts: dict[str, str] = {}
    for source in sources().values():
        texts.update(source.text_of)
    return texts


def pools() -> dict[str, Pool]:
    return {s.pool.name: s.pool for s in sources().values() if s.pool is not None}


def plugin_modules() -> list[str]:
    return [name.strip() for name in os.environ.get(PLUGIN_ENV, "").split(",") if name.strip()]


def extra_staging_models() -> list[str]:
    """The post models of sources declared outside the project (dbt var ``extra_social_post_models``)."""
    models = (_declared_in(module).staging_model for module in plugin_modules())
    return [model for model in models if model]
