"""A Discourse forum: every post of the community, walking ``/posts.json`` down by id.

``/posts.json`` lists the latest posts newest first; ``before=<id>`` continues from an id (the
docs say "lower than", the source filters ``posts.id <= before``: the walk asks for
``before=<lowest seen> - 1``, right under either reading). The listing holds only regular posts
(no whispers), never hidden posts and never private messages.
One run walks from the top down to the highest post id already stored (the cursor), and on
below it while posts are younger than a lookback window (edits and deletions of recent posts
are not surfaced by an id-ordered list, so recent posts are re-read; landing makes re-reads
free). Older posts are swept on a schedule (``sweep_hours``): that run walks on down to the
lowest stored id, so an old post edited or deleted at the source does not stay stale in raw.
Stored posts of the walked range (from the lowest id walked up, whatever run landed them) that
are no longer listed are fetched one by one: a 404 (deleted), a 403 ``invalid_access`` (moved to
a category the key may not see, turned into a private message), ``hidden`` or a non-regular
``post_type`` lands a version marked deleted, with the reason in its context, so the post leaves
the marts. The cursor (highest id, poll time, last sweep) is saved after everything it covers.

Discourse answers 429 with ``Retry-After`` (and ``extras.wait_seconds``); both are honoured.
A bad or revoked API key (403 ``invalid_access`` on the listing) stops the source with an alert;
a 403 on one post counts as "no longer visible" only after the listing still reads.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx

from extractors import http, timestamps
from extractors.base import ApiExtractor, StreamResult, recorded
from extractors.landing import RawRecord, land, load_cursor, save_cursor
from extractors.source_settings import SourceConfigError, SourceSettings
from social360.core import db

log = logging.getLogger(__name__)

SOURCE = "discourse"
TABLE = "discourse_posts"
STREAM = "posts"
REGULAR_POST = 1  # Post.types[:regular]; 4 is a whisper, 2 and 3 moderator and small actions
NOT_VISIBLE = "GET /posts/{id}.json: 403 invalid_access (the key may no longer see it)"


class DiscourseDialect(http.ApiDialect):
    """Discourse's signals: 429 with ``Retry-After``, 403 ``invalid_access`` for bad keys."""

    name = "Discourse"

    def check(self, response: httpx.Response, body: Any, now: float) -> None:
        status = response.status_code
        error_type = body.get("error_type") if isinstance(body, dict) else None
        if status == 429:
            wait = http.retry_after_header(response, now)
            if wait is None and isinstance(body, dict):
                wait = (body.get("extras") or {}).get("wait_seconds")
            raise http.Throttled(f"Discourse: rate limited ({http.short(body)})",
                                 retry_after=float(wait) if wait is not None else None, status=status)
        if status in (401, 403) and error_type in (None, "invalid_access"):
            raise http.TokenExpired(
                f"Discourse rejected the API key or username (HTTP {status}: {http.short(body)}); "
                "renew the key in the connection", status=status, body=body)
        super().check(response, body, now)


@dataclass
class DiscourseConfig:
    base_url: str
    forum: str
    brand_usernames: list[str] = field(default_factory=list)
    staff_is_brand: bool = True
    lookback: timedelta = timedelta(hours=24)
    initial_history: timedelta = timedelta(days=30)
    sweep_every: timedelta | None = timedelta(hours=24)

    @classmethod
    def from_settings(cls, settings: SourceSettings) -> DiscourseConfig:
        if not settings.base_url:
            raise SourceConfigError("discourse: set the forum's base URL (connection host or SOCIAL360_DISCOURSE_BASE_URL)")
        return cls(
            base_url=settings.base_url,
            forum=settings.get("forum_name") or urlsplit(settings.base_url).hostname or settings.base_url,
            brand_usernames=[u.lower() for u in settings.get_list("brand_usernames")],
            staff_is_brand=settings.get_bool("staff_is_brand", True),
            lookback=timedelta(minutes=settings.get_float("lookback_minutes", 24 * 60)),
            initial_history=timedelta(days=settings.get_float("initial_days", 30)),
            sweep_every=timedelta(hours=sweep_hours) if (sweep_hours := settings.get_float("sweep_hours", 24)) > 0 else None,
        )


def client_for(settings: SourceSettings, **kwargs) -> http.ApiClient:
    headers = {}
    if settings.secret:
        headers = {"Api-Key": settings.secret, "Api-Username": settings.login or "system"}
    kwargs.setdefault("max_wait", settings.get_float("max_wait_seconds", 900))
    kwargs.setdefault("min_interval", settings.get_float("min_interval_seconds", 1.0))
    return http.ApiClient(settings.base_url, DiscourseDialect(), headers=headers, **kwargs)


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class DiscourseExtractor(ApiExtractor):
    """Extract a forum's posts into ``raw.discourse_posts``."""

    config: DiscourseConfig

    @property
    def context(self) -> dict[str, Any]:
        return {"forum": self.config.forum, "base_url": self.config.base_url,
                "brand_usernames": self.config.brand_usernames, "staff_is_brand": self.config.staff_is_brand}

    def run(self, run_id: str) -> list[StreamResult]:
        result = StreamResult(SOURCE, f"{self.config.forum}:{STREAM}")
        with db.connect(self.warehouse_url, autocommit=True) as conn, recorded(conn, result, run_id):
            self.extract(conn, result, run_id)
        return [result]

    def extract(self, conn, result: StreamResult, run_id: str) -> None:
        stream = f"{self.config.forum}:{STREAM}"
        state = load_cursor(conn, SOURCE, stream) or {}
        started = self.now()
        max_saved = int(state.get("max_id") or 0)
        first_run = not state
        if first_run:
            floor = started - self.config.initial_history
        elif self.config.lookback > timedelta(0) and state.get("polled_at"):
            floor = datetime.fromisoformat(state["polled_at"]) - self.config.lookback
        else:
            floor = None
        sweep_floor = None if first_run else self._sweep_floor(conn, state, started)

        top, lowest, before, seen = None, None, None, set()
        while True:
            body = self.client.get("/posts.json", {"before": before}).data or {}
            posts = [p for p in body.get("latest_posts") or [] if isinstance(p, dict) and isinstance(p.get("id"), int)]
            if not posts:
                lowest = 0  # walked past the oldest post: the whole range below the top was seen
                break
            ids = [p["id"] for p in posts]
            top = max(top or 0, max(ids))
            lowest = min(ids)
            seen.update(ids)
            keep = [p for p in posts if p["id"] > max_saved
                    or (sweep_floor is not None and p["id"] >= sweep_floor)
                    or (floor and (parse_time(p.get("created_at")) or started) >= floor)]
            with conn.transaction():
                landed = land(conn, TABLE, self._believable([self._record(p) for p in keep], result), run_id)
            result.add_page(len(keep), landed)
            covered = first_run or lowest <= max_saved
            oldest = min((parse_time(p.get("created_at")) or started) for p in posts)
            if covered and (floor is None or oldest < floor) and (sweep_floor is None or lowest <= sweep_floor):
                break
            if before is not None and lowest > before:
                raise http.BadRequest("Discourse: /posts.json did not move below `before`; stopping to avoid a loop")
            before = lowest - 1

        # also on a first run: an earlier first run may have died after landing posts deleted since
        self._confirm_missing(conn, lowest or 0, seen, result, run_id)
        swept = first_run or sweep_floor is not None  # a first run reads the whole history it keeps
        with conn.transaction():
            save_cursor(conn, SOURCE, stream, {"max_id": max(top or 0, max_saved), "polled_at": started.isoformat(),
                                               "swept_at": started.isoformat() if swept else state.get("swept_at")},
                        run_id)

    def _sweep_floor(self, conn, state: dict, started: datetime) -> int | None:
        """The lowest stored id when this run is due to sweep the whole stored range, else None."""
        every = self.config.sweep_every
        last = state.get("swept_at")
        if every is None or (last and started - datetime.fromisoformat(last) < every):
            return None
        lowest = conn.execute(
            "SELECT min(native_id::bigint) FROM raw.discourse_posts WHERE context ->> 'forum' = %s AND native_id ~ '^[0-9]+$'",
            (self.config.forum,),
        ).fetchone()[0]
        return int(lowest) if lowest is not None else None

    def _believable(self, records: list[RawRecord], result: StreamResult) -> list[RawRecord]:
        return timestamps.believable(records, result, timestamps.window(self.now()), lambda r: {
            name: parse_time(r.payload.get(name)) for name in ("created_at", "updated_at")})

    def _record(self, post: dict) -> RawRecord:
        reason = _not_visible_because(post)
        context = {**self.context, "deleted_detected_by": reason} if reason else dict(self.context)
        updated = parse_time(post.get("updated_at")) or parse_time(post.get("created_at"))
        return RawRecord(str(post["id"]), post, source_updated_at=updated, context=context, is_deleted=bool(reason))

    def _confirm_missing(self, conn, lowest: int, seen: set[int], result: StreamResult, run_id: str) -> None:
        """Stored posts from ``lowest`` up that the list no longer shows: deleted, or just hidden?

        The walk started at the newest listed post, so every stored id above ``lowest`` was in
        its range, including ids above the newest listed one (the newest posts may be the deleted
        ones) and posts landed by a run that died before saving its cursor."""
        rows = conn.execute(
            """
            SELECT native_id, payload FROM (
                SELECT DISTINCT ON (native_id) native_id, payload, is_deleted FROM raw.discourse_posts
                WHERE context ->> 'forum' = %s AND native_id ~ '^[0-9]+$'
                  AND native_id::bigint >= %s
                ORDER BY native_id, source_updated_at DESC NULLS LAST, loaded_seq DESC
            ) AS latest WHERE NOT is_deleted
            """,
            (self.config.forum, lowest),
        ).fetchall()
        for native_id, payload in rows:
            if int(native_id) in seen:
                continue
            try:
                post = self.client.get(f"/posts/{native_id}.json").data or {}
                record = self._record(post)
            except http.NotFound:
                record = self._gone(native_id, payload, "GET /posts/{id}.json: 404")
            except http.TokenExpired as exc:
                if exc.status != 403:
                    raise
                self.client.get("/posts.json")  # the key itself still works? else this stops the source
                record = self._gone(native_id, payload, NOT_VISIBLE)
            with conn.transaction():
                landed = land(conn, TABLE, [record], run_id)
            result.add_page(1, landed)

    def _gone(self, native_id: str, payload: dict, reason: str) -> RawRecord:
        """The last known content, marked deleted: the forum no longer shows it to this key."""
        return RawRecord(native_id, payload, source_updated_at=self.now(), is_deleted=True,
                         context={**self.context, "deleted_detected_by": reason})


def _not_visible_because(post: dict) -> str | None:
    """Why a post the API returned is not (or no longer) a visible forum post, or None."""
    if post.get("deleted_at"):
        return "deleted_at"
    if post.get("user_deleted"):
        return "user_deleted"
    if post.get("hidden"):
        return "hidden: true (hidden by flags)"
    if post.get("post_type") not in (None, REGULAR_POST):
        return f"post_type {post.get('post_type')} (a whisper or an action, not a regular post)"
    return None


def extract(run_id: str, settings: SourceSettings, **client_kwargs) -> list[StreamResult]:
    """Run the Discourse extractor with ``settings`` (from :mod:`extractors.source_settings`)."""
    config = DiscourseConfig.from_settings(settings)
    with client_for(settings, **client_kwargs) as client:
        return DiscourseExtractor(client, config).run(run_id)
