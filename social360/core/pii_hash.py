"""The keyed hash that stands for a personal identifier in the marts (``dim_customers.email_hash``).

HMAC-SHA256 under a secret key: an unsalted ``md5(email)`` is reversed by guessing addresses from
the published names (``first.last<id>@<common domains>``); without the key a guess cannot be
checked. The key comes from ``SOCIAL360_PII_HASH_KEY``; otherwise one is generated once and kept
in ``$SOCIAL360_HOME/secrets/pii_hash_key`` (mode 600). It reaches PostgreSQL as the session
setting ``social360.pii_hash_key`` of dbt's connections only (``PGOPTIONS``), never in SQL text,
dbt's artifacts or the repository; a build without it fails rather than publish a weaker hash.
The SQL side is the macro ``pii_hash`` (the embedded server has no pgcrypto: HMAC is spelled out
with the built-in ``sha256``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets

from social360.core import config

KEY_ENV = "SOCIAL360_PII_HASH_KEY"
SETTING = "social360.pii_hash_key"
BLOCK_BYTES = 64  # SHA-256's block: HMAC hashes longer keys first


def key_path():
    path = config.subdir("secrets")
    path.chmod(0o700)
    return path / "pii_hash_key"


def key() -> bytes:
    """The secret key: ``SOCIAL360_PII_HASH_KEY``, else the home's generated one."""
    value = os.environ.get(KEY_ENV)
    if value:
        return value.encode()
    path = key_path()
    if not path.exists():
        _create_key(path)
    return path.read_text().strip().encode()


def _create_key(path) -> None:
    """Write a new random key to ``path`` unless another process just did (atomic, mode 600)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32) + "\n")
    try:
        os.link(temporary, path)  # fails if it exists: the first key written wins
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def digest(value: str) -> str:
    """HMAC-SHA256 of ``value`` (UTF-8) in hex: what the macro ``pii_hash`` computes."""
    return hmac.new(key(), value.encode(), hashlib.sha256).hexdigest()


def block_key_hex() -> str:
    """The key as HMAC uses it (hashed when longer than a block), in hex; the macro pads it."""
    raw = key()
    return (hashlib.sha256(raw).digest() if len(raw) > BLOCK_BYTES else raw).hex()


def with_session_key(options: str | None) -> str:
    """libpq ``PGOPTIONS`` ``options`` plus the setting that hands the key to the session."""
    kept = re.sub(rf"-c\s*{re.escape(SETTING)}=\S*", "", options or "").strip()
    return f"{kept} -c {SETTING}={block_key_hex()}".strip()


def export_to_dbt() -> None:
    """Give dbt's connections (this process's libpq) the key: ``PGOPTIONS``."""
    os.environ["PGOPTIONS"] = with_session_key(os.environ.get("PGOPTIONS"))
