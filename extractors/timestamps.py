"""The window of believable post timestamps, the one rule every importer and extractor applies.

A post dated before social media existed or in the future is a bad row, not data: it would
stretch every calendar built from the posts (the business-hours model lays each support
schedule over every day the posts span) and a future version would win over every correction.

The window runs from ``SOCIAL360_TIMESTAMP_MIN`` (ISO 8601, default 2006-01-01 UTC) to now
plus ``SOCIAL360_TIMESTAMP_MAX_AHEAD`` (``<n> days|hours|minutes``, default ``1 day``). dbt reads
the same two variables (macro ``timestamp_window``) with the same defaults.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MIN_ENV = "SOCIAL360_TIMESTAMP_MIN"
MAX_AHEAD_ENV = "SOCIAL360_TIMESTAMP_MAX_AHEAD"
DEFAULT_MIN = "2006-01-01T00:00:00+00:00"
DEFAULT_MAX_AHEAD = "1 day"
_DURATION = re.compile(r"^\s*(\d+)\s*(day|hour|minute)s?\s*$", re.IGNORECASE)


class OutOfWindow(ValueError):
    """A timestamp outside the window: the row is rejected."""


@dataclass(frozen=True)
class Window:
    """Timestamps from ``earliest`` to ``latest`` (both included) are believable."""

    earliest: datetime
    latest: datetime

    def check(self, moment: datetime, field: str) -> datetime:
        """``moment`` if it lies in the window, else :class:`OutOfWindow` naming ``field``."""
        if moment < self.earliest:
            raise OutOfWindow(f"{field} {moment.isoformat()} is before {self.earliest.isoformat()} "
                              f"(the earliest accepted, {MIN_ENV})")
        if moment > self.latest:
            raise OutOfWindow(f"{field} {moment.isoformat()} is after {self.latest.isoformat()} "
                              f"(now plus {MAX_AHEAD_ENV})")
        return moment


def parse_duration(text: str) -> timedelta:
    """``'1 day'``, ``'36 hours'``, ``'90 minutes'`` (a form PostgreSQL's interval reads too)."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{MAX_AHEAD_ENV}={text!r}: expected '<n> days', '<n> hours' or '<n> minutes'")
    return timedelta(**{f"{match.group(2).lower()}s": int(match.group(1))})


def parse_earliest(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{MIN_ENV}={text!r} is not ISO 8601") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def window(now: datetime | None = None) -> Window:
    """The window in force (from the environment) as seen at ``now`` (default: the current time)."""
    now = now or datetime.now(UTC)
    earliest = parse_earliest(os.environ.get(MIN_ENV) or DEFAULT_MIN)
    ahead = parse_duration(os.environ.get(MAX_AHEAD_ENV) or DEFAULT_MAX_AHEAD)
    return Window(earliest, now + ahead)


def believable(records: list, result, window: Window, times) -> list:
    """The API records whose timestamps lie in ``window``; ``times(record)`` gives each one's
    ``{field: moment or None}``. Every other record is not landed but named on ``result``
    (status ``rejected_rows``, kept in ``raw.extract_runs``). A deletion is never rejected."""
    kept, rejected = [], []
    for record in records:
        try:
            if not record.is_deleted:
                for field, moment in times(record).items():
                    if moment is not None:
                        window.check(moment, field)
        except OutOfWindow as exc:
            rejected.append(f"{record.native_id}: {exc}")
            continue
        kept.append(record)
    if rejected:
        listed = "; ".join(rejected[:5]) + ("; ..." if len(rejected) > 5 else "")
        result.warn("rejected_rows", f"{len(rejected)} row(s) not landed, timestamps outside the window: {listed}")
    return kept
