"""Import the Kaggle "Customer Support on Twitter" dump (twcs) into ``raw.twcs_tweets``.

The format: ``tweet_id, author_id, inbound, created_at, text, response_tweet_id,
in_response_to_tweet_id``; ``inbound`` is True for customers and False for the brands'
support accounts (whose ``author_id`` is their handle); ``created_at`` looks like
``Tue Oct 31 22:10:47 +0000 2017``; ``response_tweet_id`` lists the replies, comma-separated.

Dumps as found in the wild load too: an extra unnamed index column (pandas' ``to_csv``),
ids written as floats (``3.0``), carriage returns inside a text field, references to tweets
that are not in the file. Each row lands with its columns as received (``payload``) and the
importer's reading of them (``context.parsed``: normalized ids, the boolean, the UTC time),
so importing the same file twice adds nothing. A ``created_at`` outside the timestamp window
(:mod:`extractors.timestamps`) is a bad row.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from extractors import timestamps
from extractors.base import StreamResult
from extractors.dumps import LineError, Problem, land_dump, not_text, physical_lines
from extractors.landing import RawRecord
from extractors.timestamps import Window

SOURCE = "twcs"
TABLE = "twcs_tweets"
COLUMNS = ("tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id", "in_response_to_tweet_id")
REQUIRED = ("tweet_id", "author_id", "inbound", "created_at", "text")
TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"
CR_SENTINEL = "\ufdd0"  # a Unicode noncharacter stands in for stray CRs while parsing
UNNAMED = re.compile(r"^(|unnamed: ?\d+|index)$", re.IGNORECASE)
TRUE, FALSE = {"true", "1", "t", "yes"}, {"false", "0", "f", "no"}

csv.field_size_limit(10 * 1024 * 1024)


def normalize_id(value: str | None) -> str | None:
    """``'119237'``, ``'119237.0'``, ``' 1.19237e5 '`` -> ``'119237'``; empty -> None; else ValueError."""
    text = (value or "").strip()
    if text == "" or text.lower() == "nan":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not a tweet id: {value!r}") from exc
    if number != number.to_integral_value() or number < 0:
        raise ValueError(f"not a tweet id: {value!r}")
    return str(int(number))


def parse_created_at(value: str, window: Window | None = None) -> datetime:
    """The moment in UTC, if it lies in the timestamp window (default: the one in force)."""
    moment = (window or timestamps.window()).check(_parse_moment(value), "created_at")
    return moment.astimezone(UTC)


def _parse_moment(value: str) -> datetime:
    text = value.strip()
    try:
        return datetime.strptime(text, TWITTER_TIME)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"created_at {value!r} is neither like 'Tue Oct 31 22:10:47 +0000 2017' nor ISO 8601") from exc
    if moment.tzinfo is None:
        raise ValueError(f"created_at {value!r} has no time zone")
    return moment


def parse_inbound(value: str) -> bool:
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"inbound must be True or False, got {value!r}")


def read(path: Path) -> Iterator[RawRecord | Problem]:
    """Every row of the dump as a record, or a problem naming its line (and field)."""
    window = timestamps.window()
    with open(path, "rb") as handle:
        lines = physical_lines(handle, CR_SENTINEL)
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
            if header is None:
                yield Problem(1, "the file is empty")
                return
            names = [_restore(h).strip() for h in header]
            unreadable = next((p for p in (not_text(n, "the header") for n in names) if p), None)
            if unreadable:
                yield Problem(1, unreadable)
                return
            missing = [c for c in REQUIRED if c not in names]
            if missing:
                yield Problem(1, f"missing column(s) {', '.join(missing)}; the header is {names}")
                return
            kept = [(i, n) for i, n in enumerate(names) if not UNNAMED.match(n)]
            ended = reader.line_num
            for row in reader:
                line, ended = ended + 1, reader.line_num  # the row's first physical line
                if not any(cell.strip() for cell in row):
                    continue
                yield _row(path, line, names, kept, [_restore(c) for c in row], window)
        except LineError as exc:
            yield Problem(exc.line, str(exc))
        except csv.Error as exc:
            yield Problem(reader.line_num, f"unreadable CSV: {exc}")


def _restore(cell: str) -> str:
    return cell.replace(CR_SENTINEL, "\r")


def _row(path: Path, line: int, names: list[str], kept: list[tuple[int, str]], row: list[str],
         window: Window) -> RawRecord | Problem:
    if len(row) > len(names) and not any(c.strip() for c in row[len(names):]):
        row = row[: len(names)]
    if len(row) != len(names):
        return Problem(line, f"{len(row)} fields where the header has {len(names)}")
    payload = {name: row[i] for i, name in kept}
    unreadable = next((p for p in (not_text(v, k) for k, v in payload.items()) if p), None)
    if unreadable:
        return Problem(line, unreadable)
    try:
        tweet_id = normalize_id(payload["tweet_id"])
        if tweet_id is None:
            raise ValueError("tweet_id is empty")
        author_id = payload["author_id"].strip()
        if not author_id:
            raise ValueError("author_id is empty")
        created_at = parse_created_at(payload["created_at"], window)
        parsed = {
            "tweet_id": tweet_id,
            "author_id": author_id,
            "inbound": parse_inbound(payload["inbound"]),
            "created_at": created_at.isoformat(),
            "in_response_to_tweet_id": normalize_id(payload.get("in_response_to_tweet_id")),
            "response_tweet_ids": [
                i for i in (normalize_id(p) for p in (payload.get("response_tweet_id") or "").split(",")) if i
            ],
        }
    except ValueError as exc:
        return Problem(line, str(exc))
    context = {"source_file": path.name, "line": line, "parsed": parsed}
    return RawRecord(tweet_id, payload, source_updated_at=created_at, context=context)


def import_file(path: str | Path, run_id: str, *, warehouse_url: str | None = None,
                replace: bool = False) -> StreamResult:
    """Load a twcs CSV into ``raw.twcs_tweets``: all rows or, if any row is bad, none (with every
    problem named). With ``replace`` the tweets imported before that the file does not hold are retracted."""
    path = Path(path)
    return land_dump(path, read(path), table=TABLE, source=SOURCE, run_id=run_id, warehouse_url=warehouse_url,
                     replace=replace)
