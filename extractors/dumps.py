"""What the file importers share: all-or-nothing landing of a dump, and errors that name lines.

A dump is read as a stream of records or problems. Records land in batches inside one
transaction; if any problem was found the transaction is rolled back and the import fails
with every problem (up to a limit) listed by line, so a bad file never lands halfway and
fixing it and importing again is always safe (each version lands once).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Union

from extractors.base import ExtractorError, StreamResult, record_run
from extractors.landing import RawRecord, land
from social360 import db

BATCH = 5000
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one line of a dump."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class DumpImportError(ExtractorError):
    """The dump has problems; nothing was imported."""

    def __init__(self, path: Path, problems: list[Problem], more: bool = False):
        self.path = path
        self.problems = problems
        listed = "\n  ".join(str(p) for p in problems)
        tail = "\n  ... (more problems not listed)" if more else ""
        super().__init__(f"{path}: nothing imported, {len(problems)}{'+' if more else ''} problem(s):\n  {listed}{tail}")


def land_dump(path: Path, items: Iterable[Union[RawRecord, Problem]], *, table: str, source: str, run_id: str,
              warehouse_url: str | None = None) -> StreamResult:
    """Land every record of ``items`` in one transaction, or none of them if any item is a problem."""
    result = StreamResult(source, path.name)
    problems: list[Problem] = []
    more = False
    with db.connect(warehouse_url, autocommit=True) as conn:
        try:
            with conn.transaction():
                batch: list[RawRecord] = []
                landed = 0
                for item in items:
                    if isinstance(item, Problem):
                        if len(problems) < MAX_PROBLEMS:
                            problems.append(item)
                        else:
                            more = True
                            break
                        continue
                    if problems:
                        continue  # keep reading to report every problem, but land nothing more
                    batch.append(item)
                    if len(batch) >= BATCH:
                        landed += _flush(conn, table, batch, run_id, result)
                if not problems:
                    landed += _flush(conn, table, batch, run_id, result)
                if problems:
                    raise DumpImportError(path, problems, more)
        except DumpImportError as exc:
            record_run(conn, StreamResult(source, path.name, status="rejected", message=str(exc)), run_id)
            raise
        record_run(conn, result, run_id)
    return result


def _flush(conn, table: str, batch: list[RawRecord], run_id: str, result: StreamResult) -> int:
    if not batch:
        return 0
    landed = land(conn, table, batch, run_id)
    result.add_page(len(batch), landed)
    batch.clear()
    return landed


def physical_lines(handle, sentinel: str) -> Iterator[str]:
    """Lines of a text file split on ``\\n`` only; a carriage return not followed by ``\\n`` (a
    stray CR inside a field) becomes ``sentinel`` so CSV parsing cannot break a row on it."""
    buffer = ""
    pending_cr = False
    while True:
        chunk = handle.read(1 << 20)
        if not chunk:
            break
        if sentinel in chunk:
            raise ValueError(f"the file contains the reserved character U+{ord(sentinel):04X}")
        if pending_cr:
            chunk = "\r" + chunk
            pending_cr = False
        if chunk.endswith("\r"):
            chunk, pending_cr = chunk[:-1], True
        chunk = _replace_bare_cr(chunk, sentinel)
        buffer += chunk
        *complete, buffer = buffer.split("\n")
        for line in complete:
            yield line + "\n"
    if pending_cr:
        buffer += sentinel
    if buffer:
        yield buffer


def _replace_bare_cr(text: str, sentinel: str) -> str:
    import re

    return re.sub(r"\r(?!\n)", sentinel, text)
