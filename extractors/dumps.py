"""What the file importers share: all-or-nothing landing of a dump, and errors that name lines.

A dump is read as a stream of records or problems. Records land in batches inside one
transaction; if any problem was found the transaction is rolled back and the import fails
with every problem (up to a limit) listed by line, so a bad file never lands halfway and
fixing it and importing again is always safe (each version lands once). Every rejection is
recorded as a run in ``raw.extract_runs``.

The import is the source of truth for the ids it holds: what it holds becomes their newest
version (the last line of an id in the file wins, and importing an earlier file again makes its
versions win again). With ``replace`` it is the truth for its whole scope (the table, or one
JSONL channel): ids imported before that it no longer holds are retracted (a deleted version).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractors.base import ExtractorError, StreamResult, record_run
from extractors.landing import RawRecord, land_as_latest
from social360.core import db

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
    """The dump has problems (or is no file); nothing was imported."""

    def __init__(self, path: Path, problems: list[Problem], more: bool = False, *, reason: str | None = None):
        self.path = path
        self.problems = problems
        if reason:
            super().__init__(f"{path}: nothing imported: {reason}")
            return
        listed = "\n  ".join(str(p) for p in problems)
        tail = "\n  ... (more problems not listed)" if more else ""
        super().__init__(f"{path}: nothing imported, {len(problems)}{'+' if more else ''} problem(s):\n  {listed}{tail}")


def check_file(path: Path) -> None:
    if path.is_dir():
        raise DumpImportError(path, [], reason="is a directory, not a file")
    if not path.is_file():
        raise DumpImportError(path, [], reason="no such file")


def land_dump(path: Path, items: Iterable[RawRecord | Problem], *, table: str, source: str, run_id: str,
              warehouse_url: str | None = None, scope: str = "", replace: bool = False) -> StreamResult:
    """Land every record of ``items`` in one transaction, or none of them if any item is a problem.

    ``scope`` is the prefix of the native ids this dump speaks for; with ``replace`` those not in
    the file are retracted."""
    result = StreamResult(source, path.name)
    with db.connect(warehouse_url, autocommit=True) as conn:
        try:
            check_file(path)
            with conn.transaction():
                _land_all(conn, path, items, table, run_id, result)
                _report_duplicates(conn, result)
                if replace:
                    _retract_the_rest(conn, path, table, scope, run_id, result)
        except DumpImportError as exc:
            record_run(conn, StreamResult(source, path.name, status="rejected", message=str(exc)), run_id)
            raise
        except Exception as exc:
            record_run(conn, StreamResult(source, path.name, status="error", message=f"{path}: {exc}"), run_id)
            raise
        record_run(conn, result, run_id)
    return result


def _land_all(conn, path: Path, items, table: str, run_id: str, result: StreamResult) -> None:
    conn.execute("CREATE TEMP TABLE _dump_ids (native_id text NOT NULL) ON COMMIT DROP")
    problems: list[Problem] = []
    more = False
    batch: list[RawRecord] = []
    for item in items:
        if isinstance(item, Problem):
            if len(problems) < MAX_PROBLEMS:
                problems.append(item)
                continue
            more = True
            break
        if problems:
            continue  # keep reading to report every problem, but land nothing more
        batch.append(item)
        if len(batch) >= BATCH:
            _flush(conn, table, batch, run_id, result)
    if problems:
        raise DumpImportError(path, problems, more)
    _flush(conn, table, batch, run_id, result)


def _flush(conn, table: str, batch: list[RawRecord], run_id: str, result: StreamResult) -> None:
    if not batch:
        return
    with conn.cursor() as cur, cur.copy("COPY _dump_ids (native_id) FROM STDIN") as copy:
        for record in batch:
            copy.write_row((record.native_id,))
    landed, _renewed = land_as_latest(conn, table, batch, run_id)
    result.add_page(len(batch), landed)
    batch.clear()


def _report_duplicates(conn, result: StreamResult) -> None:
    twice = conn.execute(
        "SELECT count(*) FROM (SELECT native_id FROM _dump_ids GROUP BY native_id HAVING count(*) > 1) AS d"
    ).fetchone()[0]
    if twice:
        result.warn("duplicate_ids", f"{twice} ids appear on more than one line (the last line of each wins)")


def _retract_the_rest(conn, path: Path, table: str, scope: str, run_id: str, result: StreamResult) -> None:
    rows = conn.execute(
        f"""
        SELECT native_id, payload, context, source_updated_at FROM (
            SELECT DISTINCT ON (native_id) native_id, payload, context, source_updated_at, is_deleted
            FROM raw.{table} WHERE starts_with(native_id, %s)
            ORDER BY native_id, loaded_seq DESC
        ) AS latest
        WHERE NOT is_deleted AND native_id NOT IN (SELECT native_id FROM _dump_ids)
        ORDER BY native_id
        """,
        (scope,),
    ).fetchall()
    records = [RawRecord(native_id, payload, updated, {**context, "retracted_by": path.name}, is_deleted=True)
               for native_id, payload, context, updated in rows]
    if records:
        land_as_latest(conn, table, records, run_id)
    result.retracted = len(records)
    result.note(f"{len(records)} retracted (imported before, not in this file: --replace)")


# --- reading text -------------------------------------------------------------------------------


def text_lines(handle) -> Iterator[tuple[str, bool]]:
    """Lines of a binary file split on ``\\n`` only (kept), decoded as UTF-8, a BOM at the start
    dropped. Bytes that are not UTF-8 become lone surrogates (``surrogateescape``, see
    :func:`not_text`) and the flag says the line had some: the line's own number names it."""
    buffer = b""
    first = True
    while chunk := handle.read(1 << 20):
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            yield _decode(raw + b"\n", first)
            first = False
    if buffer:
        yield _decode(buffer, first)


def _decode(raw: bytes, first: bool) -> tuple[str, bool]:
    if first and raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape"), True


def not_text(value: Any, field: str | None = None, *, undecodable: bool = True) -> str | None:
    """Why ``value`` (a string, or a JSON value: keys too) cannot be stored as text, naming the
    field, or None. A lone surrogate is either a byte that was not UTF-8 (``undecodable``: the
    line did not decode) or an unpaired ``\\ud800``-style JSON escape."""
    if isinstance(value, str):
        bad = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
        if bad is None:
            return None
        name = repr(field) if field else "the line"
        if undecodable and "\udc80" <= bad <= "\udcff":
            return f"{name} is not UTF-8 text (byte 0x{ord(bad) - 0xDC00:02x})"
        return f"{name} holds a lone surrogate U+{ord(bad):04X} (an unpaired \\u{ord(bad):04x} escape), not text"
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{field}.{key}" if field else str(key)
            problem = not_text(key, name, undecodable=undecodable) or not_text(item, name, undecodable=undecodable)
            if problem:
                return problem
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = not_text(item, f"{field}[{index}]" if field else f"[{index}]", undecodable=undecodable)
            if problem:
                return problem
    return None


class LineError(ValueError):
    """A physical line that cannot be read at all."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def physical_lines(handle, sentinel: str) -> Iterator[str]:
    """Lines of a binary CSV file split on ``\\n`` only (see :func:`text_lines`); a carriage return
    not followed by ``\\n`` (a stray CR inside a field) becomes ``sentinel`` so CSV parsing cannot
    break a row on it."""
    for number, (line, _undecodable) in enumerate(text_lines(handle), start=1):
        if sentinel in line:
            raise LineError(number, f"the file contains the reserved character U+{ord(sentinel):04X}")
        yield _replace_bare_cr(line, sentinel)


def _replace_bare_cr(text: str, sentinel: str) -> str:
    import re

    return re.sub(r"\r(?!\n)", sentinel, text)
