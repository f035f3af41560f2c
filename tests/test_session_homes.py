"""Test sessions killed before their teardown leave their home (and its PostgreSQL data) behind;
the next session removes the ones nothing uses any more."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.conftest import remove_abandoned_homes


def _home(parent, name, *, age_seconds, session_pid=None, server_pid=None):
    home = parent / f"social360-test-{name}"
    (home / "warehouse" / "pgdata").mkdir(parents=True)
    (home / "warehouse" / "pgdata" / "base.dat").write_bytes(b"x" * 1024)
    if session_pid is not None:
        (home / "session.pid").write_text(str(session_pid))
    if server_pid is not None:
        (home / "warehouse" / "pgdata" / "postmaster.pid").write_text(f"{server_pid}\n/data\n")
    then = time.time() - age_seconds
    os.utime(home, (then, then))
    return home


def test_only_old_homes_of_dead_sessions_and_servers_are_removed(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(finished.stdout)
    abandoned = _home(tmp_path, "abandoned", age_seconds=3600, session_pid=dead, server_pid=dead)
    no_pids = _home(tmp_path, "nopids", age_seconds=3600)
    running = _home(tmp_path, "running", age_seconds=3600, session_pid=os.getpid())
    orphan_server = _home(tmp_path, "server", age_seconds=3600, session_pid=dead, server_pid=os.getpid())
    starting = _home(tmp_path, "starting", age_seconds=5)
    other = tmp_path / "someone-else"
    other.mkdir()

    removed = remove_abandoned_homes(tmp_path, min_age_seconds=600)

    assert sorted(removed) == sorted([abandoned, no_pids])
    assert not abandoned.exists() and not no_pids.exists()
    assert running.exists() and orphan_server.exists() and starting.exists() and other.exists()
