"""docker-compose.yml, checked without Docker: it parses, follows Airflow's official 3.x layout,
every service's image, command, volumes and environment fit the project (Airflow settings exist
in Airflow, the project's variables are ones its code reads, mounted paths exist), and every
secret comes from .env, with .env.example documenting each one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from social360.core import config, warehouse

ROOT = config.REPO_ROOT
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
AIRFLOW_SERVICES = [name for name, svc in SERVICES.items() if name.startswith("airflow-") or name == "flower"]
CORE = {"postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"}
VAR = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?]))?")
CONTAINER_MOUNT = "/opt/social360"
# Variables for the containers' own tooling, not read by the project's code.
RUNTIME_VARIABLES = {"PYTHONPATH", "DO_NOT_TRACK", "DUMB_INIT_SETSID", "CONNECTION_CHECK_MAX_COUNT",
                     "DBT_SEND_ANONYMOUS_USAGE_STATS", "_AIRFLOW_DB_MIGRATE", "_PIP_ADDITIONAL_REQUIREMENTS"}


def variables(text: str) -> list[tuple[str, str]]:
    """``(name, operator)`` of every ``${NAME...}`` reference (``$${...}`` is an escaped dollar)."""
    return [(m.group(1), m.group(2) or "") for m in VAR.finditer(text)]


def substitute(value: str, env: dict[str, str]) -> str:
    """Compose's interpolation: ``${VAR}``, ``${VAR:-default}`` (nested), ``${VAR:?error}``."""
    out, i = [], 0
    while i < len(value):
        match = VAR.match(value, i) if value.startswith("${", i) and (i == 0 or value[i - 1] != "$") else None
        if not match:
            out.append(value[i])
            i += 1
            continue
        depth, j = 1, match.end()
        while depth:
            if value[j] == "{" and value[j - 1] == "$":
                depth += 1
            elif value[j] == "}":
                depth -= 1
            j += 1
        name, operator = match.group(1), match.group(2) or ""
        argument = value[match.end():j - 1]
        if env.get(name):
            out.append(env[name])
        elif operator in (":-", "-"):
            out.append(substitute(argument, env))
        i = j
    return "".join(out)


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def project_sources() -> str:
    """The text of every file the project's code and configuration live in."""
    files = [p for folder in ("social360", "extractors", "enrichment", "expectations", "dags", "docker")
             for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".sh") and "__pycache__" not in p.parts]
    files += [ROOT / "dbt_project" / "profiles.yml", ROOT / "dbt_project" / "dbt_project.yml"]
    return "\n".join(p.read_text(errors="replace") for p in files)


def environment(service: str) -> dict[str, str]:
    env = SERVICES[service].get("environment") or {}
    return {k: str(v) for k, v in env.items()}


def test_services_follow_airflows_official_layout_with_profiles():
    default = {name for name, svc in SERVICES.items() if not svc.get("profiles")}
    assert default >= CORE
    by_profile = {}
    for name, svc in SERVICES.items():
        for profile in svc.get("profiles", []):
            by_profile.setdefault(profile, set()).add(name)
    assert by_profile["celery"] == {"redis", "airflow-worker", "flower"}
    assert by_profile["bi"] == {"metabase", "metabase-init"}
    assert environment("airflow-apiserver")["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    assert SERVICES["airflow-worker"]["command"] == "celery worker"
    assert environment("airflow-worker")["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:@redis:6379/")
    for name in CORE - {"postgres"}:
        assert SERVICES[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name
        if name != "airflow-init":
            assert SERVICES[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
    for name, svc in SERVICES.items():
        if name not in ("airflow-init", "airflow-cli", "metabase-init"):
            assert svc.get("healthcheck"), f"{name} has no healthcheck"


def test_airflow_services_run_the_projects_image_with_real_airflow_commands(airflow_ready):
    from airflow.cli.cli_parser import get_parser

    parser = get_parser()
    image = SERVICES["airflow-apiserver"]["image"]
    assert substitute(image, {}) == "social360-airflow:3.3.2"
    for name in AIRFLOW_SERVICES + ["metabase-init"]:
        assert SERVICES[name]["image"] == image and SERVICES[name]["build"] == ".", name
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        command = SERVICES[name]["command"].split()
        parser.parse_args(command)  # exits (SystemExit) on an unknown Airflow command
    init = SERVICES["airflow-init"]["command"][1]
    assert "python -m social360.cli setup" in init and "python -m social360.cli airflow --init-only" in init
    from typer.testing import CliRunner

    from social360.cli import app

    for args in (["setup", "--help"], ["airflow", "--help"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    assert "--init-only" in CliRunner().invoke(app, ["airflow", "--help"]).output


def test_dockerfile_builds_the_pinned_airflow_and_python():
    dockerfile = (ROOT / "Dockerfile").read_text()
    lock = (ROOT / "requirements.lock").read_text()
    airflow_pin = re.search(r"^apache-airflow==(\S+)$", lock, re.M).group(1)
    assert f"ARG AIRFLOW_VERSION={airflow_pin}" in dockerfile
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    python = re.search(r"ARG PYTHON_VERSION=(\S+)", dockerfile).group(1)
    assert f">={python}" in requires
    assert "FROM apache/airflow:${AIRFLOW_VERSION}-python${PYTHON_VERSION}" in dockerfile
    assert "-r /opt/social360-requirements.lock" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ignored[-2:] == ["*", "!requirements.lock"] or ("*" in ignored and "!requirements.lock" in ignored)
    assert substitute(SERVICES["airflow-apiserver"]["image"], {}).endswith(f":{airflow_pin}")


def test_mounted_paths_exist_and_hold_the_project():
    declared_volumes = set(COMPOSE["volumes"])
    for name, svc in SERVICES.items():
        for volume in svc.get("volumes", []):
            source, target = substitute(volume, {}).split(":")[:2]
            if source.startswith((".", "/")):
                path = (ROOT / source).resolve()
                assert path.exists(), f"{name} mounts {source}, which does not exist"
                if target == CONTAINER_MOUNT:
                    assert path == ROOT
            else:
                assert source in declared_volumes, f"{name} uses undeclared volume {source}"
    env = environment("airflow-scheduler")
    dags = Path(env["AIRFLOW__CORE__DAGS_FOLDER"])
    assert dags.is_relative_to(CONTAINER_MOUNT)
    local_dags = ROOT / dags.relative_to(CONTAINER_MOUNT)
    assert local_dags == config.DAGS_FOLDER
    assert {p.stem for p in local_dags.glob("*.py")} >= {"social_ingest", "crm_sync", "customer360_build"}
    assert (ROOT / Path(env["PYTHONPATH"]).relative_to(CONTAINER_MOUNT) / "social360" / "cli.py").exists()
    home_mounts = [v for v in SERVICES["airflow-scheduler"]["volumes"] if v.endswith(f":{env['SOCIAL360_HOME']}")]
    assert home_mounts, "SOCIAL360_HOME (manifest, cosmos cache, pools marker) must be a shared volume"


def test_airflow_settings_exist_and_every_container_shares_the_secrets(airflow_ready):
    from airflow.configuration import conf

    cosmos_settings = (Path(__import__("cosmos").__file__).parent / "settings.py").read_text()
    for name in AIRFLOW_SERVICES:
        env = environment(name)
        for key in env:
            if not key.startswith("AIRFLOW__"):
                continue
            section, option = key.removeprefix("AIRFLOW__").lower().split("__", 1)
            if section in ("cosmos", "openlineage"):  # read by cosmos (a provider Airflow loads at run time)
                assert re.search(rf'"{section}",\s*"{option}"', cosmos_settings), key
            elif section == "celery":  # the celery provider ships in the image, not in requirements.lock
                assert option in ("broker_url", "result_backend"), key  # the official compose file's two
            else:
                declared = conf.configuration_description.get(section, {}).get("options", {})
                assert option in declared, f"{name}: Airflow has no setting {key}"
        for shared in ("AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY"):
            assert ":?" in env[shared], f"{name}: {shared} must come from .env (required)"
        execution_api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
        assert execution_api.hostname == "airflow-apiserver" and execution_api.path == "/execution/"
        assert execution_api.port == 8080 == conf.getint("api", "port")
    assert SERVICES["airflow-apiserver"]["ports"] == ["${AIRFLOW_PORT:-8080}:8080"]


def test_project_variables_are_ones_the_code_reads_and_the_warehouse_urls_agree():
    from social360.orchestration.dag_support import WAREHOUSE_CONN_ID

    code = project_sources()
    for name in AIRFLOW_SERVICES + ["metabase-init"]:
        for key in environment(name):
            if key.startswith("AIRFLOW__") or key in RUNTIME_VARIABLES or key.startswith("MB_"):
                continue
            assert re.search(rf"['\"]{key}['\"]", code), f"{name}: nothing in the project reads {key}"
    assert f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}" in environment("airflow-scheduler")
    env = {k: substitute(v, {"WAREHOUSE_PASSWORD": "pw"}) for k, v in environment("airflow-scheduler").items()}
    conn, url = urlsplit(env["AIRFLOW_CONN_WAREHOUSE"]), urlsplit(env["WAREHOUSE_URL"])
    assert (conn.hostname, conn.port, conn.username, conn.path) == (url.hostname, url.port, url.username, url.path)
    assert url.hostname == "postgres" and url.username == warehouse.APP_USER and url.path == f"/{config.WAREHOUSE_DB}"
    assert urlsplit(env["CRM_URL"]).path == f"/{config.CRM_DB}"
    assert urlsplit(env["DEMO_SOCIAL_URL"]).path == f"/{config.DEMO_SOCIAL_DB}"
    metabase = environment("metabase-init")
    assert metabase["BI_SCHEMA"] == "marts" and metabase["WAREHOUSE_DB"] == config.WAREHOUSE_DB
    setup = (ROOT / "docker" / "metabase" / "setup.py").read_text()
    assert f'"user": "{warehouse.BI_USER}"' in setup and '"schema-filters-type": "inclusion"' in setup


def test_postgres_init_creates_the_roles_and_databases_the_urls_name():
    script = ROOT / "docker" / "postgres" / "init-social360.sh"
    mount = next(v for v in SERVICES["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in v)
    assert (ROOT / mount.split(":")[0]).resolve() == script
    subprocess.run(["bash", "-n", str(script)], check=True)
    sql = script.read_text()
    for role in (warehouse.APP_USER, warehouse.BI_USER):
        assert re.search(rf"CREATE ROLE {role} LOGIN PASSWORD", sql), role
    for database in warehouse.SOURCE_DATABASES:
        assert f"CREATE DATABASE {database} OWNER {warehouse.APP_USER}" in sql
    assert f"GRANT CONNECT ON DATABASE {config.WAREHOUSE_DB} TO {warehouse.BI_USER}" in sql
    assert "CREATE EXTENSION IF NOT EXISTS pg_trgm" in sql
    postgres_env = environment("postgres")
    for variable in re.findall(r"\$\{?([A-Z_]+)", sql):
        assert variable in postgres_env or variable == "POSTGRES_USER", f"the init script reads {variable}"
    subprocess.run([sys.executable, "-m", "py_compile", str(ROOT / "docker" / "metabase" / "setup.py")], check=True)


def test_every_secret_comes_from_env_and_env_example_documents_each_variable():
    example = env_example()
    text = (ROOT / "docker-compose.yml").read_text()
    used = {name for name, _ in variables(text)}
    required = {name for name, operator in variables(text) if operator == ":?"}
    assert required <= set(example), f"not in .env.example: {required - set(example)}"
    assert used - {"SOCIAL360_PROJ_DIR", "CRM_URL"} <= set(example), used - set(example)
    for name, value in example.items():
        if re.search(r"PASSWORD|SECRET|FERNET|_KEY$", name):
            assert value.startswith("CHANGE"), f".env.example must not carry a real {name}"
    assert ".env" in (ROOT / ".gitignore").read_text().split()
    assert not (ROOT / ".env").exists() or ".env" in (ROOT / ".gitignore").read_text().split()
    for password_var in ("POSTGRES_PASSWORD", "WAREHOUSE_PASSWORD", "BI_READER_PASSWORD"):
        assert re.search(rf"\$\{{{password_var}:\?", text), f"{password_var} must be required, never defaulted"


def test_airflow_init_command_prepares_pools_and_manifest(airflow_ready):
    """What compose's airflow-init runs after `airflow db migrate`, in a fresh interpreter."""
    from airflow.models.pool import Pool

    from social360.orchestration.dag_support import POOLS
    from social360.orchestration.dbt_airflow import manifest_path

    for name in POOLS:
        Pool.delete_pool(name)
    assert not {p.pool for p in Pool.get_pools()} & set(POOLS)
    out = subprocess.run([sys.executable, "-m", "social360.cli", "airflow", "--init-only"], capture_output=True,
                         text=True, timeout=300, env={**os.environ}, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["dags"] == str(config.DAGS_FOLDER)
    assert Path(report["airflow_home"]) == config.home() / "airflow"
    assert {"x_api", "facebook_graph", "discourse", "crm_db"} <= {p.pool for p in Pool.get_pools()}
    assert manifest_path().exists()
