"""What every extractor returns and how its runs are recorded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from extractors.http import ApiClient


class ExtractorError(RuntimeError):
    """An error that retrying will not fix (bad credentials, usage cap, malformed configuration)."""


@dataclass
class StreamResult:
    """Outcome of one extraction stream in one run."""

    source: str
    stream: str
    pages: int = 0
    rows_seen: int = 0
    rows_landed: int = 0
    status: str = "ok"
    message: str | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warnings: list[str] = field(default_factory=list)
    retracted: int = 0  # a dump imported with --replace: ids it no longer holds, retracted

    def add_page(self, seen: int, landed: int) -> None:
        self.pages += 1
        self.rows_seen += seen
        self.rows_landed += landed

    def warn(self, status: str, text: str) -> None:
        """The stream ran, but a person should know (``status`` names why, e.g. ``possible_gap``):
        recorded in ``raw.extract_runs`` and alerted by the pipeline; an error later still wins."""
        if self.status == "ok":
            self.status = status
        self.warnings.append(text)
        self.message = "; ".join(self.warnings)

    def note(self, text: str) -> None:
        """Something the run did that its record should say, without a warning's status."""
        self.message = f"{self.message}; {text}" if self.message else text

    def as_dict(self) -> dict:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        return data


class ApiExtractor:
    """What the HTTP API extractors share: their client, their configuration, the warehouse they
    land into, and "now" on the client's clock (which the tests' fake servers control)."""

    def __init__(self, client: ApiClient, config: Any, *, warehouse_url: str | None = None):
        self.client = client
        self.config = config
        self.warehouse_url = warehouse_url

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.client.clock(), tz=UTC)


def record_run(conn: psycopg.Connection, result: StreamResult, run_id: str) -> None:
    """One row per stream per run in ``raw.extract_runs``, for operators and the summary."""
    conn.execute(
        """
        INSERT INTO raw.extract_runs
            (run_id, source, stream, pages, rows_seen, rows_landed, status, message, started_at)
        VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
        """,
        (
            run_id,
            result.source,
            result.stream,
            result.pages,
            result.rows_seen,
            result.rows_landed,
            result.status,
            result.message,
            result.started_at,
        ),
    )


@contextmanager
def recorded(conn: psycopg.Connection, result: StreamResult, run_id: str) -> Iterator[StreamResult]:
    """Record ``result`` in ``raw.extract_runs`` however its stream ends. A failure is recorded with
    its kind (a ``StopSource``: ``token_expired``, ``paused``...), any other as ``error``, and raised on."""
    try:
        yield result
    except Exception as exc:
        kind = getattr(exc, "kind", None) if isinstance(exc, ExtractorError) else None
        result.status, result.message = kind or "error", str(exc)
        raise
    finally:
        record_run(conn, result, run_id)
