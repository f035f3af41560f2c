"""A real HTTP server on 127.0.0.1 for faking one third-party API, with scheduled faults.

Each fake API subclasses :class:`FakeApi` and routes requests to handlers that return
documented response shapes. Faults are scheduled per request (the n-th request gets the n-th
entry of ``faults``): transport faults (``timeout``, ``truncated``, ``server_error``, the
API's throttle and token errors) replace the response; data faults (``insert``, ``delete``,
``edit``) change the source's items just before the request is answered, as if another
user acted while we were paging.

Time is a :class:`FakeClock` shared with the client under test: the client's ``sleep``
advances it, so a reset an hour away costs nothing to wait for, and the server's rate
windows, reset headers and new items' timestamps all move with it.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATA_FAULTS = ("insert", "delete", "edit")


class FakeClock:
    """Wall-clock seconds, advanced by ``sleep`` instead of waiting (``real=True``: the real clock,
    real sleeps, for the tests that prove a wait really happens or that cross processes)."""

    def __init__(self, start: datetime | None = None, *, real: bool = False):
        self.real = real
        self._offset = 0.0
        self._now = (start or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)).timestamp()
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return time.time() + self._offset if self.real else self._now

    def now(self) -> datetime:
        return datetime.fromtimestamp(self(), tz=UTC)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            if not self.real:
                self._now += max(0.0, seconds)
        if self.real and seconds > 0:
            time.sleep(seconds)

    def advance(self, seconds: float) -> None:
        """Move time (a real clock only moves back, for back-dating test data)."""
        with self._lock:
            if self.real:
                self._offset += seconds
            else:
                self._now += seconds


@dataclass
class Reply:
    """What the server sends: a status, headers and a JSON (or raw) body."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    delay: float = 0.0

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float
    fault: str | None = None
    status: int | None = None
    reply_headers: dict[str, str] = field(default_factory=dict)

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


class FakeApi:
    """Base of the fake APIs: routing, fault schedule, request log, and the HTTP server."""

    name = "fake"
    timeout_delay = 0.6  # seconds a "timeout" reply stalls; tests give the client a shorter timeout

    def __init__(self, clock: FakeClock | None = None, *, seed: int = 0):
        self.clock = clock or FakeClock()
        self.random = random.Random(seed)
        self.faults: list[str | None] = []
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- server lifecycle

    def start(self) -> FakeApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                api._serve(self)

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"fake-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeApi:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- faults

    def schedule(self, *faults: str | None) -> None:
        """Faults for the next requests, in order (None: answer normally)."""
        with self.lock:
            self.faults.extend(faults)

    def _next_fault(self) -> str | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None

    # --- serving

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        request = Request(
            method="GET",
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in handler.headers.items()},
            at=self.clock(),
        )
        with self.lock:
            fault = self._next_fault()
            request.fault = fault
            self.requests.append(request)
            if fault in DATA_FAULTS:
                self.mutate(fault)
                fault = None
            reply = self.fault_reply(fault, request) if fault else None
            if reply is None:
                reply = self.authorize(request) or self.route(request)
            if fault == "truncated":
                whole = reply.encoded()
                reply = Reply(reply.status, raw=whole[: max(1, len(whole) // 2)], headers=reply.headers)
            reply.headers = {**self.budget_headers(request, reply), **reply.headers}
            request.status = reply.status
            request.reply_headers = dict(reply.headers)
        if fault == "timeout" or reply.delay:
            time.sleep(reply.delay or self.timeout_delay)
        body = reply.encoded()
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", reply.headers.pop("Content-Type", "application/json; charset=utf-8"))
            handler.send_header("Content-Length", str(len(body)))
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            pass

    # --- what subclasses provide

    def fault_reply(self, fault: str, request: Request) -> Reply | None:
        """The reply a transport fault produces (None: answer normally, e.g. ``timeout``/``truncated``)."""
        if fault in ("timeout", "truncated"):
            return None
        if fault == "server_error":
            return Reply(503, raw=b"<html><body><h1>503 Service Unavailable</h1></body></html>",
                         headers={"Content-Type": "text/html"})
        raise NotImplementedError(fault)

    def authorize(self, request: Request) -> Reply | None:
        return None

    def route(self, request: Request) -> Reply:
        raise NotImplementedError

    def budget_headers(self, request: Request, reply: Reply) -> dict[str, str]:
        return {}

    def mutate(self, kind: str) -> None:
        raise NotImplementedError


def routes(table: list[tuple[str, Callable]]):
    """Match a path against ``(regex, handler)`` pairs; handlers get the request and the groups."""
    import re

    compiled = [(re.compile(f"^{pattern}$"), handler) for pattern, handler in table]

    def dispatch(request: Request) -> Reply:
        for regex, handler in compiled:
            match = regex.match(request.path)
            if match:
                return handler(request, *match.groups())
        return Reply(404, {"error": f"no route for {request.path}"})

    return dispatch
