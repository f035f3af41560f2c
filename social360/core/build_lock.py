"""One build at a time per warehouse: a lease in ``audit.build_lease``.

A build (``customer360_build``: score, dbt, gates, publish) rebuilds shared schemas, so two at
once break each other (dbt's backup tables collide, a gate validates the other run's candidate,
false "not published" alerts). The build's first task takes the lease and its teardown gives it
back; every build task keeps it alive while it works (``kept``), so a lease outlives its build
by at most ``ttl`` after a crash. A build run in one process (``dag.test()``: the CLI, the tests)
also records its process: a lease whose process is gone on this host is taken over at once.

Import-light: standard library only at module level (DAG files import it).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

log = logging.getLogger(__name__)

LEASE = "customer360_build"
TTL_ENV = "SOCIAL360_BUILD_LOCK_TTL_SECONDS"
WAIT_ENV = "SOCIAL360_BUILD_LOCK_WAIT_SECONDS"
IN_PROCESS_ENV = "SOCIAL360_IN_PROCESS_RUN"  # set while dag.test() runs a DAG in this process
DEFAULT_TTL = 900.0
DEFAULT_WAIT = 600.0


class BuildRunning(RuntimeError):
    """Another build holds the warehouse."""


@dataclass(frozen=True)
class Holder:
    holder: str
    host: str
    pid: int
    in_process: bool
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        return f"{self.holder} (since {self.acquired_at:%Y-%m-%d %H:%M:%S %Z}, host {self.host}, pid {self.pid})"


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def ttl_seconds() -> float:
    return _seconds(TTL_ENV, DEFAULT_TTL)


def wait_seconds() -> float:
    return _seconds(WAIT_ENV, DEFAULT_WAIT)


def holder_of(dag_id: str, run_id: str) -> str:
    return f"{dag_id}/{run_id}"


def _connect(url: str | None):
    from social360.core import db

    return db.connect(url, autocommit=True)


def current(url: str | None = None) -> Holder | None:
    """Who holds the build lease now (an expired lease holds nothing)."""
    with _connect(url) as conn:
        row = conn.execute(
            "SELECT holder, host, pid, in_process, acquired_at, expires_at FROM audit.build_lease "
            "WHERE name = %s AND expires_at > now()", (LEASE,)
        ).fetchone()
    return Holder(*row) if row else None


def _process_gone(holder: Holder) -> bool:
    """A lease of a one-process build on this host whose process no longer runs."""
    if not holder.in_process or holder.host != socket.gethostname():
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def try_acquire(holder: str, *, ttl: float | None = None, url: str | None = None) -> Holder | None:
    """Take the lease for ``holder`` (or renew it, if it already holds it); None when someone else
    holds it. A lease that expired, or whose one-process build died on this host, is taken over."""
    ttl = ttl_seconds() if ttl is None else ttl
    in_process = bool(os.environ.get(IN_PROCESS_ENV))
    with _connect(url) as conn:
        for _ in range(2):
            row = conn.execute(
                """
                INSERT INTO audit.build_lease AS lease (name, holder, host, pid, in_process, acquired_at, expires_at)
                VALUES (%(name)s, %(holder)s, %(host)s, %(pid)s, %(in_process)s, now(),
                        now() + make_interval(secs => %(ttl)s))
                ON CONFLICT (name) DO UPDATE SET
                    holder = EXCLUDED.holder, host = EXCLUDED.host, pid = EXCLUDED.pid,
                    in_process = EXCLUDED.in_process, expires_at = EXCLUDED.expires_at,
                    acquired_at = CASE WHEN lease.holder = EXCLUDED.holder THEN lease.acquired_at ELSE now() END
                WHERE lease.holder = EXCLUDED.holder OR lease.expires_at <= now()
                RETURNING holder, host, pid, in_process, acquired_at, expires_at
                """,
                {"name": LEASE, "holder": holder, "host": socket.gethostname(), "pid": os.getpid(),
                 "in_process": in_process, "ttl": ttl},
            ).fetchone()
            if row:
                return Holder(*row)
            other = conn.execute(
                "SELECT holder, host, pid, in_process, acquired_at, expires_at FROM audit.build_lease WHERE name = %s",
                (LEASE,),
            ).fetchone()
            if other is None or not _process_gone(Holder(*other)):
                return None
            log.warning("build lease of %s: its process is gone; taking it over", Holder(*other).describe())
            conn.execute("DELETE FROM audit.build_lease WHERE name = %s AND holder = %s", (LEASE, other[0]))
    return None


def acquire(holder: str, *, wait: float | None = None, ttl: float | None = None, url: str | None = None,
            poll: float = 2.0, on_wait: Callable[[Holder], None] | None = None) -> Holder:
    """Take the lease, waiting up to ``wait`` seconds for another build to finish; raises
    :class:`BuildRunning` naming the other build when it is still running after that."""
    wait = wait_seconds() if wait is None else wait
    deadline = time.monotonic() + wait
    told = False
    while True:
        taken = try_acquire(holder, ttl=ttl, url=url)
        if taken is not None:
            return taken
        other = current(url)
        if other is not None and not told:
            (on_wait or (lambda h: log.warning("another build is running: %s; waiting up to %.0f s",
                                               h.describe(), wait)))(other)
            told = True
        if time.monotonic() >= deadline:
            who = other.describe() if other else "another build"
            raise BuildRunning(f"another build is running: {who}; this build did not start")
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())) or poll)


def release(holder: str, *, url: str | None = None) -> bool:
    """Give the lease back (only ``holder``'s own lease); True if it held one."""
    with _connect(url) as conn:
        return conn.execute("DELETE FROM audit.build_lease WHERE name = %s AND holder = %s",
                            (LEASE, holder)).rowcount > 0


def renew(holder: str, *, ttl: float | None = None, url: str | None = None) -> bool:
    """Extend ``holder``'s lease; False when it no longer holds it."""
    ttl = ttl_seconds() if ttl is None else ttl
    with _connect(url) as conn:
        return conn.execute(
            "UPDATE audit.build_lease SET expires_at = now() + make_interval(secs => %s) "
            "WHERE name = %s AND holder = %s", (ttl, LEASE, holder)
        ).rowcount > 0


@contextmanager
def kept(holder: str, *, ttl: float | None = None, url: str | None = None) -> Iterator[None]:
    """Keep ``holder``'s lease alive while the block runs (renewed every third of its ttl)."""
    ttl = ttl_seconds() if ttl is None else ttl
    if not renew(holder, ttl=ttl, url=url):
        raise BuildRunning(f"{holder} does not hold the build lease (it expired or was taken over)")
    stop = threading.Event()

    def keep_alive() -> None:
        while not stop.wait(ttl / 3):
            try:
                renew(holder, ttl=ttl, url=url)
            except Exception as exc:  # a missed renewal is retried; the lease lasts ttl
                log.warning("could not renew the build lease: %s", exc)

    thread = threading.Thread(target=keep_alive, name="build-lease", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


@contextmanager
def held(holder: str, *, wait: float | None = None, url: str | None = None) -> Iterator[Holder]:
    """Hold the lease for the whole block (a build run in one function: benchmarks, debugging)."""
    lease = acquire(holder, wait=wait, url=url)
    try:
        with kept(holder, url=url):
            yield lease
    finally:
        release(holder, url=url)
