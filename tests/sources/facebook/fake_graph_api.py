"""A fake Facebook Graph API (page, page posts, post comments, single objects) on 127.0.0.1.

Shapes follow the Graph docs: ``{"data": [...], "paging": {"cursors": {...}, "next": ...}}``
with ``next`` absent on the last page (a page may be empty and still have ``next``); times
like ``2024-01-01T12:00:00+0000``; errors as ``{"error": {"message", "type", "code",
"error_subcode", "fbtrace_id"}}``: 190/463 for an expired token, 80001 (BUC), 4, 17, 32 and
613 for throttling with ``X-Business-Use-Case-Usage`` / ``X-App-Usage`` headers, 1/2 for
transient errors, 341 ("Application limit reached"), 100/33 for an object that was deleted
or that the token may no longer read (``revoke``: every object of the page answers 100/33).
Cursors point at an item and become invalid when that item is deleted. ``/comments?filter=stream``
returns replies too, in chronological order.

With ``app_secret`` set, the app "requires app secret proof": every call must carry
``appsecret_proof`` = HMAC-SHA256 of the access token keyed with the app secret (hex), else
code 100 ``GraphMethodException`` ("API calls from the server require an appsecret_proof
argument" / "Invalid appsecret_proof provided in the API argument"). Every path is versioned
(``/v24.0/...``); a version older than ``oldest_version`` is silently served by the oldest one,
and the ``facebook-api-version`` header names the version that answered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from tests.fakes.fake_api import FakeApi, FakeClock, Reply, Request, routes

VERSION = "v24.0"
OLDEST_VERSION = "v21.0"  # the oldest Graph version still served on the fake's default date (2026-11-20)
THROTTLE_CODES = (4, 17, 32, 341, 613, 80001)
VERSIONED = re.compile(r"^/(v\d+\.\d+)(?=/)")


def fb_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_fb_time(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value), tz=UTC)
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")


def graph_error(code: int, message: str, subcode: int | None = None, *, transient: bool = False,
                kind: str = "OAuthException") -> dict:
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return {"error": error}


@dataclass
class FakeObject:
    id: str
    message: str
    created_time: datetime
    author: tuple[str, str]
    updated_time: datetime | None = None
    parent_id: str | None = None  # comments: the comment replied to
    post_id: str | None = None  # comments: the post they belong to
    permalink_url: str | None = None  # comments: given when set (posts always have one)

    def as_json(self, fields: set[str], objects: dict[str, FakeObject]) -> dict:
        full = {
            "id": self.id,
            "message": self.message,
            "created_time": fb_time(self.created_time),
            "from": {"id": self.author[0], "name": self.author[1]},
        }
        if self.post_id is None:
            full["updated_time"] = fb_time(self.updated_time or self.created_time)
            full["permalink_url"] = f"https://www.facebook.com/{self.id}"
        elif self.permalink_url:
            full["permalink_url"] = self.permalink_url
        if self.parent_id and self.parent_id in objects:
            parent = objects[self.parent_id]
            full["parent"] = {"id": parent.id, "created_time": fb_time(parent.created_time),
                              "from": {"id": parent.author[0], "name": parent.author[1]}, "message": parent.message}
        wanted = {f.split("{")[0] for f in fields} or {"id", "message", "created_time"}
        return {k: v for k, v in full.items() if k in wanted or k == "id"}


class FakeGraphApi(FakeApi):
    """Graph API page posts and comments, with Business Use Case rate limiting."""

    name = "facebook"

    def __init__(self, clock: FakeClock | None = None, *, seed: int = 0, token: str = "fb-page-token",
                 calls_per_hour: int = 1000, app_secret: str | None = None, oldest_version: str = OLDEST_VERSION):
        super().__init__(clock, seed=seed)
        self.token = token
        self.calls_per_hour = calls_per_hour
        self.app_secret = app_secret
        self.oldest_version = oldest_version
        self.revoked_pages: set[str] = set()
        self.pages: dict[str, str] = {}
        self.posts: dict[str, FakeObject] = {}
        self.comments: dict[str, FakeObject] = {}
        self.deleted: set[str] = set()
        self.customers: list[tuple[str, str]] = []
        self._counter = 1000
        self._window = (self.clock(), 0)
        self._dispatch = routes([
            (r"/v\d+\.\d+/(\d+)/posts", self._page_posts),
            (r"/v\d+\.\d+/(\d+_\d+)/comments", self._post_comments),
            (r"/v\d+\.\d+/([\d_]+)", self._object),
        ])

    def route(self, request: Request) -> Reply:
        reply = self._dispatch(request)
        served = self.served_version(request)
        if served:
            reply.headers = {"facebook-api-version": served, **reply.headers}
        return reply

    def served_version(self, request: Request) -> str | None:
        """The version that answers: the one asked for, or the oldest available when that one is retired."""
        match = VERSIONED.match(request.path)
        if not match:
            return None
        return max(match.group(1), self.oldest_version, key=version_key)

    # --- the source's data

    def add_page(self, page_id: str, name: str) -> str:
        self.pages[page_id] = name
        return page_id

    def _next(self) -> int:
        self._counter += self.random.randint(1, 50)
        return self._counter

    def add_post(self, page_id: str, message: str, at: datetime | None = None) -> FakeObject:
        with self.lock:
            post = FakeObject(f"{page_id}_{self._next()}", message, at or self.clock.now(), (page_id, self.pages[page_id]))
            self.posts[post.id] = post
            return post

    def add_comment(self, post_id: str, author: tuple[str, str], message: str, *, reply_to: str | None = None,
                    at: datetime | None = None) -> FakeObject:
        with self.lock:
            comment_id = f"{post_id.split('_')[1]}_{self._next()}"
            comment = FakeObject(comment_id, message, at or self.clock.now(), author, parent_id=reply_to, post_id=post_id)
            self.comments[comment_id] = comment
            return comment

    def delete(self, object_id: str) -> None:
        with self.lock:
            self.deleted.add(object_id)
            if object_id in self.posts:  # a deleted post takes its comments with it
                self.deleted.update(c.id for c in self.comments.values() if c.post_id == object_id)

    def revoke(self, page_id: str) -> None:
        """The token loses its permission on the page: the page and everything on it answer 100/33."""
        with self.lock:
            self.revoked_pages.add(page_id)

    def _page_of(self, object_id: str) -> str | None:
        if object_id in self.pages:
            return object_id
        obj = self.posts.get(object_id) or self.comments.get(object_id)
        if obj is None:
            return None
        post = self.posts.get(obj.post_id) if obj.post_id else obj
        return post.author[0] if post else None

    def _unreadable(self, object_id: str) -> bool:
        return self._page_of(object_id) in self.revoked_pages

    def live_posts(self) -> dict[str, FakeObject]:
        return {i: p for i, p in self.posts.items() if i not in self.deleted}

    def live_comments(self) -> dict[str, FakeObject]:
        return {i: c for i, c in self.comments.items() if i not in self.deleted}

    def mutate(self, kind: str) -> None:
        posts = sorted(self.live_posts())
        comments = sorted(self.live_comments())
        if kind == "insert" and posts and self.customers:
            post_id = self.random.choice(posts)
            self.add_comment(post_id, self.random.choice(self.customers), f"new comment {self.random.random():.6f}")
        elif kind == "delete" and (posts or comments):
            pool = comments if comments and self.random.random() < 0.8 else posts
            self.delete(self.random.choice(pool))
        elif kind == "edit" and comments:
            target = self.comments[self.random.choice(comments)]
            target.message += " (edited)"

    # --- faults, auth, budget

    def fault_reply(self, fault: str, request: Request) -> Reply | None:
        if fault == "throttle":
            code = self.random.choice(THROTTLE_CODES)
            messages = {80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
                        32: "(#32) Page request limit reached", 4: "(#4) Application request limit reached",
                        341: "(#341) Application limit reached",
                        17: "(#17) User request limit reached", 613: "(#613) Calls to this api have exceeded the rate limit."}
            regain = self.random.choice([0, 1, 5])
            return Reply(400, graph_error(code, messages[code]), headers=self._usage_headers(100, regain))
        if fault == "token_expired":
            return Reply(400, graph_error(190, "Error validating access token: Session has expired on Thursday, "
                                               "19-Nov-26 10:00:00 PST. The current time is Friday, 20-Nov-26.", 463))
        if fault == "server_error":
            if self.random.random() < 0.5:
                return Reply(500, graph_error(2, "An unexpected error has occurred. Please retry your request later.",
                                              transient=True))
            return super().fault_reply(fault, request)
        return super().fault_reply(fault, request)

    def authorize(self, request: Request) -> Reply | None:
        header = request.headers.get("authorization", "")
        token = request.param("access_token") or header.removeprefix("Bearer ").removeprefix("OAuth ")
        if token != self.token:
            return Reply(400, graph_error(190, "Invalid OAuth access token - Cannot parse access token"))
        if self.app_secret is not None:
            proof = request.param("appsecret_proof")
            if proof is None:
                return Reply(400, graph_error(100, "API calls from the server require an appsecret_proof argument",
                                              kind="GraphMethodException"))
            if not hmac.compare_digest(proof, appsecret_proof(token, self.app_secret)):
                return Reply(400, graph_error(100, "Invalid appsecret_proof provided in the API argument",
                                              kind="GraphMethodException"))
        start, used = self._window
        if self.clock() >= start + 3600:
            start, used = self.clock(), 0
        self._window = (start, used + 1)
        if used + 1 > self.calls_per_hour:
            regain = int((start + 3600 - self.clock()) // 60) + 1
            return Reply(400, graph_error(80001, "(#80001) There have been too many calls to this Page account. "
                                                 "Wait a bit and try again."), headers=self._usage_headers(100, regain))
        return None

    def budget_headers(self, request: Request, reply: Reply) -> dict[str, str]:
        start, used = self._window
        return self._usage_headers(min(100, used * 100 // self.calls_per_hour), 0)

    def _usage_headers(self, percent: int, regain_minutes: int) -> dict[str, str]:
        page = next(iter(self.pages), "0")
        buc = {page: [{"type": "pages", "call_count": percent, "total_cputime": max(1, percent // 2),
                       "total_time": max(1, percent // 2), "estimated_time_to_regain_access": regain_minutes}]}
        return {"X-Business-Use-Case-Usage": json.dumps(buc),
                "X-App-Usage": json.dumps({"call_count": percent // 2, "total_cputime": 1, "total_time": 1})}

    # --- endpoints

    def _fields(self, request: Request) -> set[str]:
        return {f for f in _split_fields(request.param("fields") or "") if f}

    def _object(self, request: Request, object_id: str) -> Reply:
        if self._unreadable(object_id):
            return _deleted(object_id)
        if object_id in self.pages:
            return Reply(200, {"id": object_id, "name": self.pages[object_id]})
        obj = self.posts.get(object_id) or self.comments.get(object_id)
        if obj is None or object_id in self.deleted:
            return _deleted(object_id)
        return Reply(200, obj.as_json(self._fields(request), {**self.posts, **self.comments}))

    def _page_posts(self, request: Request, page_id: str) -> Reply:
        if page_id not in self.pages or page_id in self.revoked_pages:
            return _deleted(page_id)
        items = sorted((p for p in self.live_posts().values() if p.author[0] == page_id),
                       key=lambda p: (p.created_time, p.id), reverse=True)
        since = request.param("since")
        if since:
            items = [p for p in items if p.created_time >= parse_fb_time(since)]
        return self._paged(request, items)

    def _post_comments(self, request: Request, post_id: str) -> Reply:
        if post_id not in self.posts or post_id in self.deleted or self._unreadable(post_id):
            return _deleted(post_id)
        items = [c for c in self.live_comments().values() if c.post_id == post_id]
        if request.param("filter") != "stream":
            items = [c for c in items if c.parent_id is None]
        items.sort(key=lambda c: (c.created_time, c.id), reverse=request.param("order") == "reverse_chronological")
        return self._paged(request, items)

    def _paged(self, request: Request, items: list[FakeObject]) -> Reply:
        limit = min(int(request.param("limit", "25")), 100)
        after = request.param("after")
        if after:
            anchor = base64.b64decode(after.encode()).decode()
            ids = [i.id for i in items]
            if anchor not in ids:  # the item the cursor points at is gone: the cursor is invalid
                return Reply(400, graph_error(100, "(#100) The after cursor is not valid: the object it points to "
                                                   "no longer exists"))
            items = items[ids.index(anchor) + 1:]
        page, rest = items[:limit], items[limit:]
        objects = {**self.posts, **self.comments}
        body: dict = {"data": [i.as_json(self._fields(request), objects) for i in page]}
        if page:
            cursors = {"before": _cursor(page[0].id), "after": _cursor(page[-1].id)}
            body["paging"] = {"cursors": cursors}
            if rest:
                query = {k: v[0] for k, v in request.query.items() if k not in ("after", "appsecret_proof")}
                path = VERSIONED.sub("/" + (self.served_version(request) or VERSION), request.path)
                body["paging"]["next"] = f"{self.url}{path}?{urlencode({**query, 'after': cursors['after']})}"
        return Reply(200, body)


def appsecret_proof(token: str, app_secret: str) -> str:
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


def _cursor(object_id: str) -> str:
    return base64.b64encode(object_id.encode()).decode()


def _deleted(object_id: str) -> Reply:
    return Reply(400, graph_error(100, f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
                                       "loaded due to missing permissions, or does not support this operation. Please "
                                       "read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
                                  33))


def _split_fields(text: str) -> list[str]:
    """Split ``a,b{c,d},e`` at top-level commas."""
    out, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            out.append(current)
            current = ""
            continue
        depth += char == "{"
        depth -= char == "}"
        current += char
    out.append(current)
    return out
