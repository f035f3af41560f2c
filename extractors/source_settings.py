"""Which API sources this deployment extracts, and their settings, from the environment only.

Each source is configured either by an Airflow connection ``social360_<source>`` (for example
the environment variable ``AIRFLOW_CONN_SOCIAL360_X`` in Airflow's JSON or URI form, or any
secrets backend when running inside an Airflow task) or by plain environment variables
``SOCIAL360_<SOURCE>_<SETTING>``. Nothing secret lives in the repository. See
``docs/SOURCES.md`` for every setting.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from extractors import registry

log = logging.getLogger(__name__)

# the project's own API sources (the registry also holds those declared outside it)
API_SOURCES = tuple(s.name for s in registry.of_kind("api"))


class SourceConfigError(ValueError):
    """A source is configured, but not completely or not correctly."""


@dataclass
class SourceSettings:
    """One source's settings, wherever they came from (secrets are held here, never logged: the
    secret, and in ``extra`` Facebook's ``app_secret``)."""

    source: str
    base_url: str | None = None
    login: str | None = None
    secret: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    origin: str = "environment"

    def get(self, key: str, default: Any = None) -> Any:
        value = self.extra.get(key)
        return default if value in (None, "") else value

    def get_list(self, key: str) -> list[str]:
        """A list setting given as a JSON list or a comma-separated string."""
        value = self.extra.get(key)
        if value in (None, ""):
            return []
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                value = json.loads(text)
            else:
                return [part.strip() for part in text.split(",") if part.strip()]
        return [str(v).strip() for v in value if str(v).strip()]

    def get_float(self, key: str, default: float) -> float:
        value = self.get(key)
        try:
            return float(value) if value is not None else default
        except (TypeError, ValueError) as exc:
            raise SourceConfigError(f"{self.source}: setting {key!r} must be a number, got {value!r}") from exc

    def get_bool(self, key: str, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in {"1", "true", "yes", "on"}

    def __repr__(self) -> str:  # never print the secret
        return f"SourceSettings(source={self.source!r}, base_url={self.base_url!r}, origin={self.origin!r})"


# --- reading connections -------------------------------------------------------------------------


def connection_env_var(source: str) -> str:
    return f"AIRFLOW_CONN_SOCIAL360_{source.upper()}"


def parse_airflow_connection(value: str) -> dict[str, Any]:
    """An Airflow connection in JSON form or URI form, as a dict of its fields (``extra`` a dict)."""
    text = value.strip()
    if text.startswith("{"):
        data = json.loads(text)
        extra = data.get("extra") or {}
        data["extra"] = json.loads(extra) if isinstance(extra, str) else dict(extra)
        return data
    parts = urlsplit(text)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "__extra__" in query:
        extra = json.loads(query.pop("__extra__"))
    else:
        extra = query
    host = unquote(parts.hostname or "") or None
    return {
        "conn_type": parts.scheme.replace("-", "_"),
        "host": host,
        "port": parts.port,
        "login": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "schema": unquote(parts.path.lstrip("/")) or None,
        "extra": extra,
    }


def _base_url_from_connection(conn: dict[str, Any], source: str) -> str | None:
    extra = conn.get("extra") or {}
    if extra.get("base_url"):
        return str(extra["base_url"]).rstrip("/")
    host = conn.get("host")
    if not host:
        return registry.get(source).default_base_url
    if "://" in host:
        return host.rstrip("/")
    scheme = conn.get("schema") if conn.get("schema") in ("http", "https") else "https"
    port = f":{conn['port']}" if conn.get("port") else ""
    return f"{scheme}://{host}{port}"


def _from_connection(source: str, conn: dict[str, Any], origin: str) -> SourceSettings:
    return SourceSettings(
        source=source,
        base_url=_base_url_from_connection(conn, source),
        login=conn.get("login"),
        secret=conn.get("password"),
        extra=dict(conn.get("extra") or {}),
        origin=origin,
    )


def _from_airflow(source: str) -> dict[str, Any] | None:
    """The connection from Airflow's secrets backends, only when already running inside Airflow."""
    if "airflow.sdk" not in sys.modules:
        return None
    try:
        from airflow.sdk import Connection

        conn = Connection.get(f"social360_{source}")
    except Exception as exc:  # not defined, or no task context: both mean "not configured here"
        log.debug("no Airflow connection social360_%s: %s", source, exc)
        return None
    if conn is None:
        return None
    return {
        "conn_type": conn.conn_type,
        "host": conn.host,
        "port": conn.port,
        "login": conn.login,
        "password": conn.password,
        "schema": conn.schema,
        "extra": conn.extra_dejson or {},
    }


def _from_env_vars(source: str) -> SourceSettings | None:
    """Settings from the source's declared variables (``SOCIAL360_<SOURCE>_*``), if any is set."""
    spec = registry.get(source)
    prefix = f"SOCIAL360_{source.upper()}_"
    base_url = os.environ.get(prefix + "BASE_URL")
    secret = os.environ.get(spec.secret.env) if spec.secret else None
    if not (secret or base_url):
        return None
    extra = {s.key: os.environ[s.env] for s in spec.settings if os.environ.get(s.env)}
    extra.update({key: os.environ[prefix + key.upper()] for key in spec.optional_settings
                  if os.environ.get(prefix + key.upper())})
    return SourceSettings(
        source=source,
        base_url=(base_url or spec.default_base_url or "").rstrip("/") or None,
        login=os.environ.get(spec.login.env) if spec.login else None,
        secret=secret,
        extra=extra,
        origin="environment variables",
    )


def settings(source: str) -> SourceSettings | None:
    """The settings of ``source``, or None when it is not configured anywhere."""
    api_sources = [s.name for s in registry.of_kind("api")]
    if source not in api_sources:
        raise SourceConfigError(f"unknown API source {source!r}; expected one of {', '.join(api_sources)}")
    raw = os.environ.get(connection_env_var(source))
    if raw:
        try:
            conn = parse_airflow_connection(raw)
        except (ValueError, json.JSONDecodeError) as exc:
            raise SourceConfigError(f"{connection_env_var(source)} is not a valid Airflow connection: {exc}") from exc
        return _from_connection(source, conn, connection_env_var(source))
    conn = _from_airflow(source)
    if conn is not None:
        return _from_connection(source, conn, f"Airflow connection social360_{source}")
    return _from_env_vars(source)


def require(source: str) -> SourceSettings:
    found = settings(source)
    if found is None:
        raise SourceConfigError(
            f"source {source!r} is not configured: set {connection_env_var(source)} or the "
            f"SOCIAL360_{source.upper()}_* variables (see docs/SOURCES.md)"
        )
    return found


def configured_api_sources() -> list[str]:
    """The API sources with settings in this environment, in a stable order."""
    return [s.name for s in registry.of_kind("api") if settings(s.name) is not None]
