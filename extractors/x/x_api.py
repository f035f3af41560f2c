"""X API v2: mentions of each brand account and the brand's own tweets (its replies), threaded by
``conversation_id`` and ``referenced_tweets``.

Per brand account and stream (``mentions``, ``brand_tweets``), one run:

1. polls with ``since_id`` = the saved newest id, paging with ``pagination_token`` while
   keeping the same ``since_id``; ``meta.newest_id`` of the *first* page becomes the new
   cursor, saved with the *last* page (so a run that dies mid-walk re-reads, never skips);
2. re-reads a ``start_time`` lookback window (late-indexed posts; landing makes re-reads free);
3. re-hydrates the latest version of the stream's recent tweets with ``GET /2/tweets?ids=`` so
   deletions (``resource-not-found`` partial errors), and posts that protected
   (``not-authorized-for-resource``) or suspended (``resource-unavailable``) authors no longer
   show, land as deleted versions with the reason in their context.

The mentions timeline reaches only the newest 800 mentions: a poll that reads that many may
have missed older ones, and its run is recorded (status ``possible_gap``) and alerted.

Edits get a new id whose ``edit_history_tweet_ids[0]`` is the original (staging keys on it).
X's 2026 OpenAPI spec spells the fields parameter ``post.fields`` and the fields
``edit_history_post_ids``, ``referenced_posts``, ``note_post``: the parameter name is a setting
(``fields_parameter``, default ``tweet.fields``) and both spellings are read.
A 429 is waited out until ``x-rate-limit-reset``; a 429 ``usage-capped`` or a 401 stops the
source with :class:`~extractors.http.UsageCapped` / :class:`~extractors.http.TokenExpired`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from extractors import http, timestamps
from extractors.base import ApiExtractor, StreamResult, recorded
from extractors.landing import RawRecord, land, land_page, load_cursor
from extractors.source_settings import SourceConfigError, SourceSettings
from social360.core import db

log = logging.getLogger(__name__)

SOURCE = "x"
TABLE = "x_tweets"
TWEET_FIELDS = ("author_id,conversation_id,created_at,edit_history_tweet_ids,in_reply_to_user_id,"
                "referenced_tweets,lang,entities,note_tweet,edit_controls")
# the 2026 OpenAPI spelling of the fields we read (staging and enrichment read both)
POST_NAMES = {"edit_history_tweet_ids": "edit_history_post_ids", "referenced_tweets": "referenced_posts",
              "note_tweet": "note_post"}
FIELDS_PARAMETERS = ("tweet.fields", "post.fields")
# an edit chain's original id, as stg_x__tweets keys it (macro x_original_id)
EDIT_CHAIN_SQL = ("coalesce(payload -> 'edit_history_tweet_ids' ->> 0, payload -> 'edit_history_post_ids' ->> 0, "
                  "native_id)")
USER_FIELDS = "username,name,public_metrics,verified"
STREAM_PATHS = {"mentions": "/2/users/{id}/mentions", "brand_tweets": "/2/users/{id}/tweets"}
MAX_RESULTS = (5, 100)  # the timelines' max_results bounds
IDS_PER_LOOKUP = 100  # GET /2/tweets?ids= and GET /2/users?ids= take 1 to 100 ids
MENTIONS_REACH = 800  # the mentions timeline serves only the newest 800 mentions
HIDDEN_PROBLEMS = ("resource-not-found", "not-authorized-for-resource", "resource-unavailable")


def default_fields(parameter: str) -> str:
    """The fields we ask for, in the vocabulary of ``parameter``."""
    if parameter == "post.fields":
        return ",".join(POST_NAMES.get(f, f) for f in TWEET_FIELDS.split(","))
    return TWEET_FIELDS


class XDialect(http.ApiDialect):
    """X's signals: ``x-rate-limit-*`` headers (reset in epoch seconds) and problem JSON types."""

    name = "X API"

    def check(self, response: httpx.Response, body: Any, now: float) -> None:
        status = response.status_code
        if status == 429:
            if _problem(body).endswith("usage-capped") or (isinstance(body, dict) and body.get("title") == "UsageCapExceeded"):
                raise http.UsageCapped(
                    f"X API usage cap reached ({(body or {}).get('detail', 'usage-capped')}); "
                    "no retry helps until the period resets",
                    status=status, body=body,
                )
            raise http.Throttled("X API: rate limit exceeded", retry_after=_until_reset(response, now), status=status)
        if status == 401:
            raise http.TokenExpired("X API rejected the bearer token (HTTP 401): renew it in the connection",
                                    status=status, body=body)
        super().check(response, body, now)

    def pace(self, response: httpx.Response, now: float) -> float:
        remaining = response.headers.get("x-rate-limit-remaining")
        if remaining is not None and remaining.isdigit() and int(remaining) == 0:
            return _until_reset(response, now) or 0.0
        return 0.0


def _problem(body: Any) -> str:
    return str(body.get("type", "")) if isinstance(body, dict) else ""


def _until_reset(response: httpx.Response, now: float) -> float | None:
    reset = response.headers.get("x-rate-limit-reset")
    try:
        return max(0.0, float(reset) - now) + 1.0 if reset else None
    except ValueError:
        return None


@dataclass
class XConfig:
    brand_user_ids: list[str]
    page_size: int = 100
    lookback: timedelta = timedelta(minutes=30)
    initial_history: timedelta = timedelta(days=7)
    rehydrate_window: timedelta = timedelta(hours=24)
    fields_parameter: str = "tweet.fields"
    tweet_fields: str = TWEET_FIELDS

    @classmethod
    def from_settings(cls, settings: SourceSettings) -> XConfig:
        brands = settings.get_list("brand_user_ids")
        if not brands:
            raise SourceConfigError("x: set brand_user_ids (the brand accounts' numeric X user ids)")
        if not all(b.isdigit() for b in brands):
            raise SourceConfigError(f"x: brand_user_ids must be numeric X user ids, got {brands}")
        parameter = str(settings.get("fields_parameter", "tweet.fields"))
        if parameter not in FIELDS_PARAMETERS:
            raise SourceConfigError(f"x: setting 'fields_parameter' must be one of {', '.join(FIELDS_PARAMETERS)}, "
                                    f"got {parameter!r}")
        return cls(
            brand_user_ids=brands,
            page_size=_page_size(settings.get("page_size", 100)),
            lookback=timedelta(minutes=settings.get_float("lookback_minutes", 30)),
            initial_history=timedelta(days=settings.get_float("initial_days", 7)),
            rehydrate_window=timedelta(hours=settings.get_float("rehydrate_hours", 24)),
            fields_parameter=parameter,
            tweet_fields=settings.get("tweet_fields", default_fields(parameter)),
        )


def _page_size(value: Any) -> int:
    low, high = MAX_RESULTS
    try:
        size = int(str(value).strip())
    except ValueError:
        size = None
    if size is None or not low <= size <= high:
        raise SourceConfigError(f"x: setting 'page_size' must be a whole number from {low} to {high} (the timelines' "
                                f"max_results), got {value!r}")
    return size


def client_for(settings: SourceSettings, **kwargs) -> http.ApiClient:
    if not settings.secret:
        raise SourceConfigError("x: no bearer token (connection password or SOCIAL360_X_BEARER_TOKEN)")
    kwargs.setdefault("max_wait", settings.get_float("max_wait_seconds", 900))
    return http.ApiClient(settings.base_url or "https://api.x.com", XDialect(),
                          headers={"Authorization": f"Bearer {settings.secret}"}, **kwargs)


class XExtractor(ApiExtractor):
    """Extract every configured brand account's streams into ``raw.x_tweets``."""

    config: XConfig

    def run(self, run_id: str) -> list[StreamResult]:
        """All streams of all brand accounts; stops at the first error retrying cannot fix."""
        brands = self._brand_users()
        results = []
        with db.connect(self.warehouse_url, autocommit=True) as conn:
            for brand_id in self.config.brand_user_ids:
                for stream in STREAM_PATHS:
                    result = StreamResult(SOURCE, f"{brand_id}:{stream}")
                    results.append(result)
                    with recorded(conn, result, run_id):
                        self.extract_stream(conn, brand_id, brands.get(brand_id, {}), stream, result, run_id)
        return results

    def _brand_users(self) -> dict[str, dict]:
        users: dict[str, dict] = {}
        ids = self.config.brand_user_ids
        for start in range(0, len(ids), IDS_PER_LOOKUP):
            batch = ids[start:start + IDS_PER_LOOKUP]
            page = self.client.get("/2/users", {"ids": ",".join(batch), "user.fields": USER_FIELDS})
            users.update({u["id"]: u for u in (page.data or {}).get("data", [])})
        return users

    def extract_stream(self, conn, brand_id: str, brand: dict, stream: str, result: StreamResult, run_id: str) -> None:
        key = f"{brand_id}:{stream}"
        cursor = load_cursor(conn, SOURCE, key) or {}
        started = self.now()
        context = {"brand_user_id": brand_id, "brand_username": brand.get("username"), "stream": stream}
        path = STREAM_PATHS[stream].format(id=brand_id)

        # 1. since_id poll; the first page's newest_id is saved with the last page
        params = self._params(stream)
        if cursor.get("since_id"):
            params["since_id"] = cursor["since_id"]
        else:
            params["start_time"] = _x_time(started - self.config.initial_history)
        newest = cursor.get("since_id")
        walk = self._walk_and_land(conn, path, params, context, result, run_id, stream_key=key,
                                   final_cursor=lambda first: {
                                       "since_id": _max_id(first, newest),
                                       "polled_at": started.isoformat(),
                                   })
        log.info("x %s: since_id %s -> %s", key, newest, walk.newest_id)
        if stream == "mentions" and walk.count >= MENTIONS_REACH:
            gap = _possible_gap(brand, newest, params.get("start_time"), walk)
            log.warning("x %s: %s", key, gap)
            result.warn("possible_gap", gap)

        # 2. lookback re-read for late-indexed posts (no cursor change)
        if self.config.lookback > timedelta(0) and cursor.get("polled_at"):
            since = datetime.fromisoformat(cursor["polled_at"]) - self.config.lookback
            since = min(since, started - timedelta(seconds=30))
            self._walk_and_land(conn, path, {**self._params(stream), "start_time": _x_time(since)}, context, result,
                                run_id)

        # 3. re-hydrate recent tweets of this stream: deletions show as resource-not-found
        if self.config.rehydrate_window > timedelta(0):
            self._rehydrate(conn, brand_id, stream, started - self.config.rehydrate_window, result, run_id)

    def _params(self, stream: str) -> dict[str, Any]:
        params = {
            "max_results": self.config.page_size,
            self.config.fields_parameter: self.config.tweet_fields,
            "expansions": "author_id",
            "user.fields": USER_FIELDS,
        }
        if stream == "brand_tweets":
            params["exclude"] = "retweets"  # the brand's own words: tweets and replies
        return params

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[tuple[dict, bool]]:
        """Each page's body, and whether it is the last (no ``meta.next_token``)."""
        token = None
        while True:
            body = self.client.get(path, {**params, "pagination_token": token}).data or {}
            token = (body.get("meta") or {}).get("next_token")
            yield body, not token
            if not token:
                return

    def _walk_and_land(self, conn, path, params, context, result, run_id, *, stream_key: str | None = None,
                       final_cursor: Callable[[str | None], dict] | None = None) -> Walk:
        """Land every page as it comes; with ``final_cursor``, the cursor lands with the last page."""
        walk = Walk()
        for number, (body, last) in enumerate(self._pages(path, params)):
            if number == 0:
                walk.newest_id = (body.get("meta") or {}).get("newest_id")
            records = self._believable(self._records(body, context), result)
            walk.add(records)
            cursor = final_cursor(walk.newest_id) if (last and final_cursor) else None
            landed = land_page(conn, table=TABLE, records=records, run_id=run_id, source=SOURCE,
                               stream=stream_key or "", cursor=cursor)
            result.add_page(len(records), landed)
        return walk

    def _records(self, body: dict, context: dict) -> list[RawRecord]:
        users = {u.get("id"): u for u in (body.get("includes") or {}).get("users", [])}
        records = []
        for tweet in body.get("data") or []:
            author = users.get(tweet.get("author_id"))
            records.append(RawRecord(
                tweet["id"], tweet, source_updated_at=_parse_time(tweet.get("created_at")),
                context={**context, "author": author} if author else dict(context),
            ))
        return records

    def _believable(self, records: list[RawRecord], result: StreamResult) -> list[RawRecord]:
        return timestamps.believable(records, result, timestamps.window(self.now()),
                                     lambda r: {"created_at": _parse_time(r.payload.get("created_at"))})

    def _rehydrate(self, conn, brand_id: str, stream: str, since: datetime, result: StreamResult, run_id: str) -> None:
        rows = conn.execute(
            f"""
            SELECT native_id, payload, context FROM (
                SELECT DISTINCT ON (chain) native_id, payload, context, is_deleted, source_updated_at, run_id
                FROM (SELECT *, {EDIT_CHAIN_SQL} AS chain
                      FROM raw.x_tweets
                      WHERE context ->> 'brand_user_id' = %s AND context ->> 'stream' = %s) AS versions
                ORDER BY chain, source_updated_at DESC NULLS LAST, length(native_id) DESC, native_id DESC,
                         loaded_seq DESC
            ) AS latest
            WHERE NOT is_deleted AND source_updated_at >= %s AND run_id <> %s
            ORDER BY native_id
            """,
            (brand_id, stream, since, run_id),
        ).fetchall()
        known = {native_id: (payload, context) for native_id, payload, context in rows}
        ids = sorted(known)
        for start in range(0, len(ids), IDS_PER_LOOKUP):
            batch = ids[start:start + IDS_PER_LOOKUP]
            page = self.client.get("/2/tweets", {"ids": ",".join(batch),
                                                 self.config.fields_parameter: self.config.tweet_fields,
                                                 "expansions": "author_id", "user.fields": USER_FIELDS})
            body = page.data or {}
            gone = _hidden_by_problems(body.get("errors") or [])
            records = [
                RawRecord(tweet_id, known[tweet_id][0], source_updated_at=self.now(),
                          context={**known[tweet_id][1], "deleted_detected_by": f"post lookup: {gone[tweet_id]}"},
                          is_deleted=True)
                for tweet_id in sorted(set(gone) & set(batch))
            ]
            stream_context = {"brand_user_id": brand_id, "stream": stream}
            current = self._believable([r for r in self._records(body, stream_context) if r.native_id in known], result)
            for record in current:  # keep the brand's handle and the author from the stream's context
                record.context = {**known[record.native_id][1], **record.context}
            with conn.transaction():
                landed = land(conn, TABLE, records + current, run_id)
            result.add_page(len(records) + len(current), landed)


@dataclass
class Walk:
    """What one page chain read: the first page's ``newest_id``, how many posts, the oldest one."""

    newest_id: str | None = None
    count: int = 0
    oldest_id: str | None = None
    oldest_at: datetime | None = None

    def add(self, records: list[RawRecord]) -> None:
        self.count += len(records)
        for record in records:
            if self.oldest_id is None or int(record.native_id) < int(self.oldest_id):
                self.oldest_id, self.oldest_at = record.native_id, record.source_updated_at


def _possible_gap(brand: dict, since_id: str | None, start_time: str | None, walk: Walk) -> str:
    handle = f"@{brand['username']}" if brand.get("username") else "the brand"
    oldest = f"{walk.oldest_id} ({walk.oldest_at.isoformat() if walk.oldest_at else 'time unknown'})"
    if since_id:
        missing = f"mentions newer than since_id {since_id} and older than {oldest} may be missing"
    else:
        missing = f"mentions since {start_time} older than {oldest} may be missing from the initial history"
    return (f"possible gap: the mentions timeline serves only the newest {MENTIONS_REACH} mentions and this poll read "
            f"{walk.count}; {missing} (backfill them with a recent search for {handle}, which reaches 7 days back)")


def _hidden_by_problems(errors: list[dict]) -> dict[str, str]:
    """Post id -> problem, for lookup problems that mean "no longer visible": deleted, a protected
    author (``not-authorized-for-resource``), a suspended one (``resource-unavailable``)."""
    hidden = {}
    for error in errors:
        problem = str(error.get("type", "")).rsplit("/", 1)[-1]
        post_id = error.get("resource_id") or error.get("value")
        if problem in HIDDEN_PROBLEMS and post_id:
            hidden[str(post_id)] = problem
    return hidden


def _max_id(first_newest: str | None, previous: str | None) -> str | None:
    candidates = [i for i in (first_newest, previous) if i]
    return max(candidates, key=int) if candidates else None


def _x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def extract(run_id: str, settings: SourceSettings, **client_kwargs) -> list[StreamResult]:
    """Run the X extractor with ``settings`` (from :mod:`extractors.source_settings`)."""
    config = XConfig.from_settings(settings)
    with client_for(settings, **client_kwargs) as client:
        return XExtractor(client, config).run(run_id)
