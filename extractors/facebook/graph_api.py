"""Facebook Graph API: each brand page's posts and every comment on them (replies included).

Per page, one run:

1. reads ``/{page-id}/posts`` with ``since`` = the last completed run's start minus a
   lookback, following ``paging.next`` until it is absent (an empty page with ``next`` is
   not the end); cursors are never stored: the Graph docs say they may die with the item they
   point to, and when one does mid-walk the walk restarts (landing makes re-reads free);
2. walks ``/{post-id}/comments?filter=stream`` for every post of the comment window, so new
   replies, edits (comments have no ``updated_time``) and deletions of recent posts are seen;
   a post answering 100/33 was deleted (it and its comments land as deleted versions); a
   comment no longer listed is fetched directly and lands deleted on 100/33. 100/33 also means
   "cannot be loaded due to missing permissions": it counts as a deletion only while the page
   itself still reads with the same token; when the page does not, the token lost its
   permission and the source stops (``forbidden``) with nothing marked deleted;
3. saves ``synced_at`` (the run's start) only after all of that is stored.

Pacing reads ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` (pause at 85 % and 95 %, or for
``estimated_time_to_regain_access`` minutes); throttle codes 4, 17, 32, 341, 613, 800xx wait and
retry; 190 (token) stops the source with an alert. With an app secret configured every call
carries ``appsecret_proof``. A pinned version that Graph has retired (it then answers with its
oldest version, silently) is recorded as a warning and alerted (see :mod:`extractors.facebook.graph_versions`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from extractors import http, timestamps
from extractors.base import ApiExtractor, StreamResult, recorded
from extractors.facebook import graph_versions
from extractors.landing import RawRecord, land, load_cursor, save_cursor
from extractors.source_settings import SourceConfigError, SourceSettings
from social360.core import db

log = logging.getLogger(__name__)

SOURCE = "facebook"
DEFAULT_VERSION = "v24.0"
POST_FIELDS = "id,message,created_time,updated_time,from,permalink_url,status_type"
COMMENT_FIELDS = "id,message,created_time,from,parent{id},permalink_url,is_hidden"
THROTTLE_CODES = {4, 17, 32, 341, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014}
TOKEN_CODES = {190, 102}
USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-business-use-case-usage")


class InvalidCursor(http.StopSource):
    """A paging cursor died (its item was deleted): restart the walk from the top."""

    kind = "invalid_cursor"


class FacebookDialect(http.ApiDialect):
    """Graph API error codes and usage headers."""

    name = "Facebook Graph API"
    default_throttle_wait = 60.0

    def check(self, response: httpx.Response, body: Any, now: float) -> None:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            if response.status_code >= 400:
                super().check(response, body, now)
            return
        code, subcode = error.get("code"), error.get("error_subcode")
        message = f"{self.name}: ({code}{'/' + str(subcode) if subcode else ''}) {error.get('message', '')}"
        status = response.status_code
        if code in TOKEN_CODES:
            raise http.TokenExpired(message + " -- renew the page token in the connection", status=status, body=body)
        if code in THROTTLE_CODES or (code == 17 and subcode == 2446079):
            _usage, regain = usage(response.headers)
            raise http.Throttled(message, retry_after=max(regain * 60.0, self.default_throttle_wait), status=status)
        if code in (1, 2) or error.get("is_transient"):
            raise http.ServerError(message, status=status)
        if code == 100 and subcode == 33:
            raise http.NotFound(message, status=status, body=body)
        if code == 100 and "cursor" in str(error.get("message", "")).lower():
            raise InvalidCursor(message, status=status, body=body)
        if code == 100 and "appsecret_proof" in str(error.get("message", "")):
            raise http.Forbidden(message + " -- the app requires app secret proof: set app_secret (connection extra or "
                                 "SOCIAL360_FACEBOOK_APP_SECRET) to the app's secret", status=status, body=body)
        if code == 2635:
            raise http.ApiVersionRetired(message, status=status, body=body)
        if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
            raise http.Forbidden(message, status=status, body=body)
        if code == 368:
            raise http.Throttled(message, retry_after=self.default_throttle_wait * 10, status=status)
        if status >= 500:
            raise http.ServerError(message, status=status)
        raise http.BadRequest(message, status=status, body=body)

    def pace(self, response: httpx.Response, now: float) -> float:
        percent, regain = usage(response.headers)
        if percent >= 95:
            return max(600.0, regain * 60.0)
        if percent >= 85:
            return max(120.0, regain * 60.0)
        return regain * 60.0


def usage(headers: httpx.Headers) -> tuple[float, float]:
    """Highest usage percentage and longest ``estimated_time_to_regain_access`` (minutes) in the headers."""
    percent, regain = 0.0, 0.0
    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            log.warning("unreadable %s header: %r", name, raw[:200])
            continue
        entries = [e for group in value.values() for e in group] if name == "x-business-use-case-usage" else [value]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_time", "total_cputime", "acc_id_util_pct"):
                if isinstance(entry.get(key), (int, float)):
                    percent = max(percent, float(entry[key]))
            if isinstance(entry.get("estimated_time_to_regain_access"), (int, float)):
                regain = max(regain, float(entry["estimated_time_to_regain_access"]))
    return percent, regain


@dataclass
class FacebookConfig:
    page_ids: list[str]
    api_version: str = DEFAULT_VERSION
    page_size: int = 100
    lookback: timedelta = timedelta(days=3)
    initial_history: timedelta = timedelta(days=30)
    comment_window: timedelta = timedelta(days=7)
    max_restarts: int = 3

    @classmethod
    def from_settings(cls, settings: SourceSettings) -> FacebookConfig:
        pages = settings.get_list("page_ids")
        if not pages:
            raise SourceConfigError("facebook: set page_ids (the brand pages' numeric ids)")
        version = str(settings.get("api_version", DEFAULT_VERSION))
        if not graph_versions.is_version(version):
            raise SourceConfigError(f"facebook: setting 'api_version' must look like v24.0, got {version!r}")
        return cls(
            page_ids=pages,
            api_version=version,
            page_size=int(settings.get_float("page_size", 100)),
            lookback=timedelta(minutes=settings.get_float("lookback_minutes", 3 * 24 * 60)),
            initial_history=timedelta(days=settings.get_float("initial_days", 30)),
            comment_window=timedelta(days=settings.get_float("comment_window_days", 7)),
        )


def appsecret_proof(access_token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the access token keyed with the app secret, hex (Graph's "Securing Requests")."""
    return hmac.new(app_secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def client_for(settings: SourceSettings, **kwargs) -> http.ApiClient:
    if not settings.secret:
        raise SourceConfigError("facebook: no access token (connection password or SOCIAL360_FACEBOOK_ACCESS_TOKEN)")
    kwargs.setdefault("max_wait", settings.get_float("max_wait_seconds", 900))
    app_secret = settings.get("app_secret")
    params = {"appsecret_proof": appsecret_proof(settings.secret, str(app_secret))} if app_secret else None
    return http.ApiClient(settings.base_url or "https://graph.facebook.com", FacebookDialect(),
                          headers={"Authorization": f"Bearer {settings.secret}"}, params=params, **kwargs)


def parse_graph_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None


class FacebookExtractor(ApiExtractor):
    """Extract every configured page's posts and comments into ``raw.facebook_posts`` / ``_comments``."""

    config: FacebookConfig

    def path(self, *parts: str) -> str:
        return "/" + "/".join((self.config.api_version, *parts))

    def run(self, run_id: str) -> list[StreamResult]:
        results = []
        retired = graph_versions.retirement_notice(self.config.api_version, self.now().date())
        if retired:
            log.warning("facebook: %s", retired)
        with db.connect(self.warehouse_url, autocommit=True) as conn:
            for page_id in self.config.page_ids:
                result = StreamResult(SOURCE, page_id)
                results.append(result)
                if retired:
                    result.warn("api_version_retired", retired)
                with recorded(conn, result, run_id):
                    self.extract_page(conn, page_id, result, run_id)
        return results

    def extract_page(self, conn, page_id: str, result: StreamResult, run_id: str) -> None:
        started = self.now()
        state = load_cursor(conn, SOURCE, page_id) or {}
        synced = datetime.fromisoformat(state["synced_at"]) if state.get("synced_at") else None
        since = synced - self.config.lookback if synced else started - self.config.initial_history
        page = self._read_page(page_id, "id,name")
        self._check_version(page, result)
        context = {"page_id": page_id, "page_name": (page.data or {}).get("name")}

        params = {"fields": POST_FIELDS, "since": int(since.timestamp()), "limit": self.config.page_size}
        seen_posts: dict[str, dict] = {}
        walk = 0
        try:
            for attempt, items in self._walk(self.path(page_id, "posts"), params):
                if attempt != walk:
                    walk, seen_posts = attempt, {}
                seen_posts.update({p["id"]: p for p in items})
                self._land(conn, "facebook_posts", [self._post_record(p, context) for p in items], result, run_id)
        except http.NotFound:
            self._read_page(page_id)  # unreadable: a lost permission (Forbidden); readable: re-raise
            raise

        window_start = started - self.config.comment_window
        known = self._live(conn, "facebook_posts", "context ->> 'page_id' = %s", (page_id,))
        recent = {pid: payload for pid, payload in known.items()
                  if (parse_graph_time(payload.get("created_time")) or started) >= window_start}
        for post_id in sorted(set(seen_posts) | set(recent)):
            self._crawl_comments(conn, post_id, seen_posts.get(post_id) or recent[post_id], context, result, run_id)

        with conn.transaction():
            save_cursor(conn, SOURCE, page_id, {"synced_at": started.isoformat()}, run_id)

    # --- the page itself: readable, and which version answers

    def _read_page(self, page_id: str, fields: str = "id") -> http.ApiResponse:
        """Read the page; 100/33 on the page itself means this token may no longer read it."""
        try:
            return self.client.get(self.path(page_id), {"fields": fields})
        except http.NotFound as exc:
            raise http.Forbidden(
                f"{FacebookDialect.name}: page {page_id} no longer reads with this token ({exc}): the page was "
                "deleted or the token lost its permission on it; nothing was marked deleted -- check the page "
                "and renew the page token in the connection", status=exc.status, body=exc.body) from exc

    def _check_version(self, page: http.ApiResponse, result: StreamResult) -> None:
        answered = page.headers.get("facebook-api-version")
        if not answered or answered == self.config.api_version or result.warnings:
            return
        newer = graph_versions.is_version(answered) and (
            graph_versions.key(answered) > graph_versions.key(self.config.api_version))
        if newer:
            notice = (f"Graph API {self.config.api_version} was asked for but {answered} answered (the pinned version "
                      f"is retired: set api_version to {answered} or newer)")
            log.warning("facebook: %s", notice)
            result.warn("api_version_retired", notice)

    def _confirm_deleted(self, page_id: str) -> None:
        """Before 100/33 counts as a deletion: the page must still read with the same token."""
        self._read_page(page_id)

    # --- walking

    def _walk(self, path: str, params: dict[str, Any]) -> Iterator[tuple[int, list[dict]]]:
        """``(attempt, items)`` of each page until ``paging.next`` is absent; when a cursor dies the
        walk restarts from the top with the next attempt number."""
        for attempt in range(self.config.max_restarts + 1):
            url, query, seen_urls = path, dict(params), set()
            try:
                while url:
                    body = self.client.get(url, query).data or {}
                    yield attempt, [item for item in body.get("data") or [] if isinstance(item, dict) and item.get("id")]
                    next_url = (body.get("paging") or {}).get("next")
                    if next_url in seen_urls:
                        raise http.BadRequest(f"{FacebookDialect.name}: paging loops back to a page already read")
                    if next_url:
                        seen_urls.add(next_url)
                    url, query = next_url, None
                return
            except InvalidCursor as exc:
                if attempt == self.config.max_restarts:
                    raise
                log.warning("facebook: %s; restarting the walk of %s", exc, path)

    def _crawl_comments(self, conn, post_id: str, post: dict, context: dict, result: StreamResult, run_id: str) -> None:
        comment_context = {**context, "post_id": post_id}
        seen: set[str] = set()
        walk = 0
        params = {"filter": "stream", "order": "chronological", "fields": COMMENT_FIELDS, "limit": self.config.page_size}
        try:
            for attempt, items in self._walk(self.path(post_id, "comments"), params):
                if attempt != walk:  # a restarted walk: only what it sees counts as still there
                    walk, seen = attempt, set()
                seen.update(c["id"] for c in items)
                records = [RawRecord(c["id"], c, source_updated_at=self.now(), context=comment_context) for c in items]
                self._land(conn, "facebook_comments", records, result, run_id)
        except http.NotFound:
            self._confirm_deleted(context["page_id"])
            self._mark_post_deleted(conn, post_id, post, context, result, run_id)
            return
        known = self._live(conn, "facebook_comments", "context ->> 'post_id' = %s", (post_id,))
        for comment_id in sorted(set(known) - seen):
            self._confirm_comment(conn, comment_id, known[comment_id], comment_context, result, run_id)

    def _confirm_comment(self, conn, comment_id: str, last: dict, context: dict, result: StreamResult, run_id: str) -> None:
        """A comment no longer listed: fetch it; 100/33 means it was deleted."""
        try:
            current = self.client.get(self.path(comment_id), {"fields": COMMENT_FIELDS}).data or {}
            record = RawRecord(comment_id, current, source_updated_at=self.now(), context=context)
        except http.NotFound:
            self._confirm_deleted(context["page_id"])
            record = RawRecord(comment_id, last, source_updated_at=self.now(), is_deleted=True,
                               context={**context, "deleted_detected_by": "graph 100/33"})
        self._land(conn, "facebook_comments", [record], result, run_id)

    def _mark_post_deleted(self, conn, post_id: str, post: dict, context: dict, result: StreamResult, run_id: str) -> None:
        now = self.now()
        marker = {**context, "deleted_detected_by": "graph 100/33"}
        records = [RawRecord(post_id, post, source_updated_at=now, context=marker, is_deleted=True)]
        self._land(conn, "facebook_posts", records, result, run_id)
        comments = self._live(conn, "facebook_comments", "context ->> 'post_id' = %s", (post_id,))
        self._land(conn, "facebook_comments", [
            RawRecord(cid, payload, source_updated_at=now, is_deleted=True, context={**marker, "post_id": post_id})
            for cid, payload in sorted(comments.items())
        ], result, run_id)

    # --- storage helpers

    def _post_record(self, post: dict, context: dict) -> RawRecord:
        updated = parse_graph_time(post.get("updated_time")) or parse_graph_time(post.get("created_time"))
        return RawRecord(post["id"], post, source_updated_at=updated, context=context)

    def _land(self, conn, table: str, records: list[RawRecord], result: StreamResult, run_id: str) -> None:
        records = timestamps.believable(records, result, timestamps.window(self.now()), lambda r: {
            name: parse_graph_time(r.payload.get(name)) for name in ("created_time", "updated_time")})
        with conn.transaction():
            landed = land(conn, table, records, run_id)
        result.add_page(len(records), landed)

    def _live(self, conn, table: str, where: str, params: tuple) -> dict[str, dict]:
        """Latest version of each object in ``raw.<table>`` matching ``where`` that is not deleted."""
        rows = conn.execute(
            f"""
            SELECT native_id, payload FROM (
                SELECT DISTINCT ON (native_id) native_id, payload, is_deleted FROM raw.{table}
                WHERE {where}
                ORDER BY native_id, source_updated_at DESC NULLS LAST, loaded_seq DESC
            ) AS latest WHERE NOT is_deleted
            """,
            params,
        ).fetchall()
        return dict(rows)


def extract(run_id: str, settings: SourceSettings, **client_kwargs) -> list[StreamResult]:
    """Run the Facebook extractor with ``settings`` (from :mod:`extractors.source_settings`)."""
    config = FacebookConfig.from_settings(settings)
    with client_for(settings, **client_kwargs) as client:
        return FacebookExtractor(client, config).run(run_id)
