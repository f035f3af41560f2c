"""What the DAG files share: assets, default task arguments and pools. Import-light on purpose:
DAG files import this at parse time, so nothing here may import pandas, dbt, GX or NLTK.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Asset

from social360.alerts import on_task_failure
from social360.catalog import CRM_RAW_TABLES, PUBLISHED_MARTS, SOCIAL_RAW_TABLES

START_DATE = pendulum.datetime(2026, 1, 1, tz="UTC")


def raw_asset(table: str) -> Asset:
    return Asset(name=f"raw.{table}", uri=f"social360://warehouse/raw/{table}", group="raw")


def mart_asset(mart: str) -> Asset:
    return Asset(name=f"marts.{mart}", uri=f"social360://warehouse/marts/{mart}", group="marts")


RAW_SOCIAL_ASSETS = [raw_asset(t) for t in SOCIAL_RAW_TABLES]
RAW_CRM_ASSETS = [raw_asset(t) for t in CRM_RAW_TABLES]
MART_ASSETS = {mart: mart_asset(mart) for mart in PUBLISHED_MARTS}

DEFAULT_ARGS = {
    "owner": "social360",
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
    "execution_timeout": timedelta(minutes=30),
    "on_failure_callback": on_task_failure,
}
