"""A fake Discourse forum (``/posts.json``, ``/posts/{id}.json``) on 127.0.0.1.

Shapes follow Discourse's API docs: ``{"latest_posts": [...]}`` newest first, ``before`` =
"load posts with an id lower than this value", an empty list past the oldest post; posts carry
``topic_id``, ``post_number``, ``reply_to_post_number``, ``version``, ``updated_at``,
``deleted_at``, ``user_deleted``, ``staff``. Rate limiting answers 429 with ``Retry-After`` and
``{"error_type": "rate_limit", "extras": {"wait_seconds": N}}``; a bad or revoked key answers
403 ``invalid_access``; deleted posts vanish from the list and answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tests.fakes.base import FakeApi, FakeClock, Reply, Request, routes


def discourse_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class FakePost:
    id: int
    topic_id: int
    post_number: int
    username: str
    raw: str
    created_at: datetime
    updated_at: datetime
    reply_to_post_number: int | None = None
    version: int = 1
    staff: bool = False

    def as_json(self, topic_title: str) -> dict:
        return {
            "id": self.id,
            "name": self.username.title(),
            "username": self.username,
            "avatar_template": f"/user_avatar/forum.example/{self.username}/{{size}}/1_2.png",
            "created_at": discourse_time(self.created_at),
            "cooked": f"<p>{self.raw}</p>",
            "raw": self.raw,
            "post_number": self.post_number,
            "post_type": 1,
            "updated_at": discourse_time(self.updated_at),
            "reply_count": 0,
            "reply_to_post_number": self.reply_to_post_number,
            "quote_count": 0,
            "reads": 3,
            "score": 0.4,
            "topic_id": self.topic_id,
            "topic_slug": f"topic-{self.topic_id}",
            "topic_title": topic_title,
            "topic_html_title": topic_title,
            "category_id": 4,
            "version": self.version,
            "user_id": abs(hash(self.username)) % 10_000,
            "admin": self.staff,
            "moderator": False,
            "staff": self.staff,
            "hidden": False,
            "deleted_at": None,
            "user_deleted": False,
            "edit_reason": None,
            "wiki": False,
        }


class FakeDiscourse(FakeApi):
    """The latest-posts listing of a Discourse forum and single-post reads."""

    name = "discourse"

    def __init__(self, clock: FakeClock | None = None, *, seed: int = 0, api_key: str = "discourse-key",
                 api_username: str = "system", page_size: int = 50):
        super().__init__(clock, seed=seed)
        self.api_key = api_key
        self.api_username = api_username
        self.page_size = page_size
        self.posts: dict[int, FakePost] = {}
        self.topics: dict[int, str] = {}
        self.deleted: set[int] = set()
        self.members: list[str] = []
        self.staff: list[str] = []
        self._next_post = 100
        self._next_topic = 10
        self.route = routes([
            (r"/posts\.json", self._latest_posts),
            (r"/posts/(\d+)\.json", self._post),
        ])

    def _post_id(self) -> int:
        self._next_post += self.random.randint(1, 3)
        return self._next_post

    def new_topic(self, username: str, title: str, raw: str, at: datetime | None = None) -> FakePost:
        with self.lock:
            self._next_topic += 1
            self.topics[self._next_topic] = title
            return self._add(self._next_topic, username, raw, None, at)

    def reply(self, topic_id: int, username: str, raw: str, *, to_post_number: int | None = None,
              at: datetime | None = None) -> FakePost:
        with self.lock:
            return self._add(topic_id, username, raw, to_post_number, at)

    def _add(self, topic_id, username, raw, reply_to, at) -> FakePost:
        number = 1 + sum(1 for p in self.posts.values() if p.topic_id == topic_id)
        moment = at or self.clock.now()
        post = FakePost(self._post_id(), topic_id, number, username, raw, moment, moment, reply_to,
                        staff=username in self.staff)
        self.posts[post.id] = post
        return post

    def live_posts(self) -> dict[int, FakePost]:
        return {i: p for i, p in self.posts.items() if i not in self.deleted}

    def mutate(self, kind: str) -> None:
        live = sorted(self.live_posts())
        if kind == "insert" and self.members and self.topics:
            topic = self.random.choice(sorted(self.topics))
            self.reply(topic, self.random.choice(self.members), f"late reply {self.random.random():.6f}")
        elif kind == "delete" and live:
            self.deleted.add(self.random.choice(live))
        elif kind == "edit" and live:
            post = self.posts[self.random.choice(live)]
            post.raw += " (edited)"
            post.version += 1
            post.updated_at = self.clock.now()

    def fault_reply(self, fault: str, request: Request) -> Reply | None:
        if fault == "throttle":
            wait = self.random.choice([3, 24, 60])
            return Reply(429, {"errors": [f"You’ve performed this action too many times. Please wait {wait} seconds "
                                          "before trying again."], "error_type": "rate_limit",
                               "extras": {"wait_seconds": wait, "time_left": f"{wait} seconds"}},
                         headers={"Retry-After": str(wait), "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"})
        if fault == "token_expired":
            return _invalid_access()
        if fault == "server_error":
            return Reply(502, raw=b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                         headers={"Content-Type": "text/html"})
        return super().fault_reply(fault, request)

    def authorize(self, request: Request) -> Reply | None:
        if request.headers.get("api-key") != self.api_key or request.headers.get("api-username") != self.api_username:
            return _invalid_access()
        return None

    def _latest_posts(self, request: Request) -> Reply:
        posts = sorted(self.live_posts().values(), key=lambda p: p.id, reverse=True)
        before = request.param("before")
        if before:
            posts = [p for p in posts if p.id < int(before)]
        return Reply(200, {"latest_posts": [p.as_json(self.topics[p.topic_id]) for p in posts[: self.page_size]]})

    def _post(self, request: Request, post_id: str) -> Reply:
        post = self.posts.get(int(post_id))
        if post is None or post.id in self.deleted:
            return Reply(404, {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"})
        return Reply(200, post.as_json(self.topics[post.topic_id]))


def _invalid_access() -> Reply:
    return Reply(403, {"errors": ["You are not permitted to view the requested resource. The API username or key is "
                                  "invalid."], "error_type": "invalid_access"})
