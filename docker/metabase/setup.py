"""First-run setup of Metabase for Social360 (compose profile ``bi``): an admin user and one data
source, the warehouse as the read-only role ``bi_reader``, limited to schema ``marts``.

Standard library only; every setting from the environment (see docker-compose.yml). Does nothing
when Metabase is already set up.
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request

BASE = os.environ.get("METABASE_URL", "http://metabase:3000").rstrip("/")


def call(method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    request = urllib.request.Request(
        f"{BASE}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Content-Type": "application/json", **({"X-Metabase-Session": token} if token else {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def wait_until_healthy(timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if call("GET", "/api/health").get("status") == "ok":
                return
        except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"Metabase at {BASE} did not become healthy")
        time.sleep(5)


def warehouse_database() -> dict:
    return {
        "engine": "postgres",
        "name": "Social360 marts",
        "details": {
            "host": os.environ.get("WAREHOUSE_HOST", "postgres"),
            "port": int(os.environ.get("WAREHOUSE_PORT", "5432")),
            "dbname": os.environ.get("WAREHOUSE_DB", "warehouse"),
            "user": "bi_reader",
            "password": os.environ["BI_READER_PASSWORD"],
            "schema-filters-type": "inclusion",
            "schema-filters-patterns": os.environ.get("BI_SCHEMA", "marts"),
            "ssl": False,
        },
    }


def main() -> None:
    wait_until_healthy()
    setup_token = call("GET", "/api/session/properties").get("setup-token")
    if not setup_token:
        print("Metabase is already set up; nothing to do")
        return
    call(
        "POST",
        "/api/setup",
        {
            "token": setup_token,
            "user": {
                "email": os.environ.get("METABASE_ADMIN_EMAIL", "admin@example.com"),
                "password": os.environ["METABASE_ADMIN_PASSWORD"],
                "first_name": "Social360",
                "last_name": "Admin",
                "site_name": "Social360",
            },
            "prefs": {"site_name": "Social360", "allow_tracking": False},
            "database": warehouse_database(),
        },
    )
    print("Metabase set up: data source 'Social360 marts' (bi_reader, schema marts)")


if __name__ == "__main__":
    main()
