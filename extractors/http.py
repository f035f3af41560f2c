"""The HTTP client every API extractor shares: retries, header-driven pacing, and a clear line
between errors worth retrying and errors that need a person.

Each API speaks its own dialect (how it signals throttling, expired tokens, usage caps and
transient failures, and which headers tell how much budget is left); an :class:`ApiDialect`
translates one response into either a parsed page, a *retryable* error (throttled, 5xx,
timeout, truncated JSON) or a *stop* error (expired token, usage cap, bad request). The
client retries the first kind with tenacity, waiting as long as the API asked (or with
exponential backoff when it did not say), and raises the second kind at once.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import tenacity

from extractors.base import ExtractorError

log = logging.getLogger(__name__)

SECRET_PARAMS = {"access_token", "api_key", "token", "client_secret", "key", "appsecret_proof"}


# --- errors ------------------------------------------------------------------------------------


class RetryableError(RuntimeError):
    """A failure that may pass if we try again later (``retry_after`` seconds, when the API said)."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


class Throttled(RetryableError):
    """The API asked us to slow down (HTTP 429, Graph throttle codes)."""


class ServerError(RetryableError):
    """5xx, or a temporary error the API itself calls transient."""


class MalformedResponse(RetryableError):
    """The body is not the JSON the API documents (truncated, HTML error page, ...)."""


class StopSource(ExtractorError):
    """Retrying cannot fix this: stop the stream, keep what is stored, tell a person.

    ``kind`` names the reason for alerts and run records: ``token_expired``, ``usage_capped``,
    ``forbidden``, ``bad_request``, ``not_found``, ``api_version``, ``paused``.
    """

    kind = "stopped"

    def __init__(self, message: str, *, status: int | None = None, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body


class TokenExpired(StopSource):
    """The credentials are expired, revoked or invalid: renew them in the connection."""

    kind = "token_expired"


class UsageCapped(StopSource):
    """A billing or product cap (X ``usage-capped``): no retry helps until the period resets."""

    kind = "usage_capped"


class Forbidden(StopSource):
    """The credentials lack a permission or the app lacks access to the endpoint."""

    kind = "forbidden"


class BadRequest(StopSource):
    """The API rejected the request itself (4xx): a bug or a configuration error."""

    kind = "bad_request"


class NotFound(StopSource):
    """The object does not exist (any more): for single-object reads, the deletion signal."""

    kind = "not_found"


class ApiVersionRetired(StopSource):
    """The pinned API version is deprecated or sunset: update the version in the connection."""

    kind = "api_version"


class PausedForRateLimit(StopSource):
    """The API asked for a pause longer than this run may wait: stop now, the next run resumes."""

    kind = "paused"

    def __init__(self, message: str, *, wait_seconds: float):
        super().__init__(message)
        self.wait_seconds = wait_seconds


# --- dialects -----------------------------------------------------------------------------------


@dataclass
class ApiResponse:
    """A successful response: parsed JSON, headers, and the URL it came from (secrets redacted)."""

    data: Any
    headers: httpx.Headers
    url: str
    status: int = 200


class ApiDialect:
    """How one API signals trouble and budget. Subclasses override what their API does differently."""

    name = "api"

    def check(self, response: httpx.Response, body: Any, now: float) -> None:
        """Raise the right error for a non-success response (``body`` is parsed JSON or None)."""
        status = response.status_code
        if status == 429:
            raise Throttled(f"{self.name}: HTTP 429", retry_after=retry_after_header(response, now), status=status)
        if status >= 500:
            raise ServerError(f"{self.name}: HTTP {status}", retry_after=retry_after_header(response, now), status=status)
        if status in (401,):
            raise TokenExpired(f"{self.name}: credentials rejected (HTTP 401)", status=status, body=body)
        if status == 403:
            raise Forbidden(f"{self.name}: forbidden (HTTP 403): {short(body)}", status=status, body=body)
        if status == 404:
            raise NotFound(f"{self.name}: not found (HTTP 404)", status=status, body=body)
        if status >= 400:
            raise BadRequest(f"{self.name}: HTTP {status}: {short(body)}", status=status, body=body)

    def pace(self, response: httpx.Response, now: float) -> float:
        """Seconds to wait before the next request, from the response's budget headers."""
        return 0.0


def retry_after_header(response: httpx.Response, now: float) -> float | None:
    """``Retry-After`` in seconds (or an HTTP date), if the response carries one."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - now)
        except (TypeError, ValueError):
            return None


def short(body: Any, limit: int = 300) -> str:
    text = body if isinstance(body, str) else json.dumps(body, default=str) if body is not None else ""
    return text if len(text) <= limit else text[:limit] + "..."


def redact(url: str) -> str:
    """The URL with secret query parameters (tokens, keys, proofs) masked, for logs and error messages."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class _RedactUrls(logging.Filter):
    """httpx logs every request's URL at INFO; mask the secret query parameters in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(redact(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_RedactUrls())


# --- the client ---------------------------------------------------------------------------------


class ApiClient:
    """GET JSON from one API with retries and pacing.

    ``max_wait`` caps any single wait (a reset an hour away stops the run with
    :class:`PausedForRateLimit` instead of holding a worker); ``params`` go with every request,
    next-page URLs included (Graph's ``appsecret_proof``); ``sleep`` and ``clock`` are
    injectable so tests can check the waits without spending them.
    """

    def __init__(
        self,
        base_url: str,
        dialect: ApiDialect,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_attempts: int = 6,
        max_wait: float = 900.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        min_interval: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ):
        self.dialect = dialect
        self.max_attempts = max_attempts
        self.max_wait = max_wait
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.min_interval = min_interval
        self.sleep = sleep
        self.clock = clock
        self.params = dict(params or {})
        self._not_before = 0.0
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Accept": "application/json", "User-Agent": "social360-extractor/0.1", **(headers or {})},
            timeout=timeout,
            follow_redirects=True,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> ApiResponse:
        """GET ``url`` (a path under the base URL, or an absolute next-page URL) and return its JSON."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_is_retryable),
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(self._get_once, url, params)

    # internals

    def _get_once(self, url: str, params: Mapping[str, Any] | None) -> ApiResponse:
        self._respect_pacing()
        url, params = _with_params(url, params, self.params)
        response = self._http.get(url, params=params)
        now = self.clock()
        body, parse_error = _parse_json(response)
        if not response.is_success:
            self.dialect.check(response, body, now)
            raise BadRequest(f"{self.dialect.name}: unexpected HTTP {response.status_code}", status=response.status_code)
        if parse_error is not None:
            raise MalformedResponse(
                f"{self.dialect.name}: malformed JSON from {response.url.path}: {parse_error}",
                status=response.status_code,
            )
        self.dialect.check(response, body, now)  # some APIs report errors inside a 200
        self._schedule(self.dialect.pace(response, now), now)
        return ApiResponse(body, response.headers, redact(str(response.url)), response.status_code)

    def _schedule(self, wait: float, now: float) -> None:
        wait = max(wait, self.min_interval)
        if wait > 0:
            self._not_before = max(self._not_before, now + wait)

    def _respect_pacing(self) -> None:
        wait = self._not_before - self.clock()
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise PausedForRateLimit(
                f"{self.dialect.name}: the request budget is spent for {wait:.0f}s (more than the {self.max_wait:.0f}s "
                "this run may wait); stopping, the next run resumes",
                wait_seconds=wait,
            )
        self._sleep(wait)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None)
        if asked is not None:
            wait = asked
        else:
            wait = min(self.backoff_cap, self.backoff_base * 2 ** (state.attempt_number - 1))
            wait = wait / 2 + random.uniform(0, wait / 2)
        if wait > self.max_wait:
            raise PausedForRateLimit(
                f"{self.dialect.name}: asked to wait {wait:.0f}s (more than the {self.max_wait:.0f}s this run may "
                f"wait) after: {error}; stopping, the next run resumes",
                wait_seconds=wait,
            ) from error
        return wait

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: attempt %d failed (%s); retrying in %.1fs",
            self.dialect.name, state.attempt_number, error, state.next_action.sleep if state.next_action else 0,
        )


def _is_retryable(error: BaseException) -> bool:
    return isinstance(error, (RetryableError, httpx.TimeoutException, httpx.TransportError))


def _clean(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}


def _with_params(url: str, params: Mapping[str, Any] | None, always: Mapping[str, str]) -> tuple[str, dict | None]:
    """``url`` and the query to send: ``params`` plus ``always``. httpx replaces a URL's own query
    when given params, so a next-page URL's query is moved into the params first."""
    params = _clean(params)
    if not always:
        return url, params
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit(parts._replace(query="")), {**query, **(params or {}), **always}


def _parse_json(response: httpx.Response) -> tuple[Any, str | None]:
    try:
        content = response.read()
    except httpx.HTTPError as exc:  # body cut off mid-transfer
        raise ServerError(f"incomplete response body: {exc}", status=response.status_code) from exc
    if not content:
        return None, "empty body"
    try:
        return json.loads(content), None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, str(exc)
