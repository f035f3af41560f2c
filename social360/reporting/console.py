"""The rich console every printed table goes to: off a terminal (a pipe, a file, CI logs) wide
enough that tables are not cut at 80 columns."""

from __future__ import annotations

import os
from typing import IO

WIDE = 200  # columns of rich output when stdout is not a terminal


def console(file: IO[str] | None = None):
    """A rich console on ``file`` (stdout); off a terminal, ``WIDE`` columns unless COLUMNS says otherwise."""
    from rich.console import Console

    plain = Console(file=file)
    if plain.is_terminal or os.environ.get("COLUMNS"):
        return plain
    return Console(file=file, width=WIDE)
