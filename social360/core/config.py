"""Where Social360 keeps its state and how it finds its parts.

All local state lives under ``$SOCIAL360_HOME`` (default ``.social360/`` in the repository):
the embedded PostgreSQL, the Airflow home, logs, reports and data docs.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent  # the repository: social360/core/config.py
DAGS_FOLDER = REPO_ROOT / "dags"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

WAREHOUSE_DB = "warehouse"
CRM_DB = "crm"
DEMO_SOCIAL_DB = "social_demo"

# How late a landed row may commit: dbt's incremental models re-read that much before their newest
# row (var ``incremental_lookback_minutes``, the same default in the ``latest_version`` macro), and
# the gates look again for customer contacts landed that long before their last validation.
LOOKBACK_MINUTES = 60


def home() -> Path:
    """The directory holding all local state, created on first use."""
    path = Path(os.environ.get("SOCIAL360_HOME") or REPO_ROOT / ".social360").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def subdir(*parts: str) -> Path:
    """A directory under the home, created on first use."""
    path = home().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default
