"""A fake Discourse forum (``/posts.json``, ``/posts/{id}.json``) on 127.0.0.1.

Shapes follow Discourse's API docs (``openapi.json``) and its source (``PostsController#latest``):
``{"latest_posts": [...]}`` newest first by id, 50 a page; ``before`` is documented as "load
posts with an id lower than this value" but the source filters ``posts.id <= before`` (the fake
does what the source does); an empty list past the oldest post. The listing holds only regular
posts (no whispers, no small actions) of visible, non-private topics in categories the key may
see, never hidden posts. Posts carry ``topic_id``, ``post_number``, ``reply_to_post_number``
(typed string-or-null in the spec: the fake sends a string for some posts and an integer for
others), ``version``, ``updated_at``, ``deleted_at``, ``user_deleted``, ``hidden``,
``post_type``, ``staff``. Rate limiting answers 429 with ``Retry-After`` and
``{"error_type": "rate_limit", "extras": {"wait_seconds": N}}``; a bad or revoked key answers
403 ``invalid_access``, and so does ``GET /posts/{id}.json`` for a post the key's user may not
see (a whisper, a private message, a hidden post or a restricted category, unless the key is a
staff key, ``staff_key``); deleted posts vanish from the list and answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tests.fakes.fake_api import FakeApi, FakeClock, Reply, Request, routes

REGULAR, WHISPER = 1, 4  # Post.types
RESTRICTED_CATEGORY = 99


def discourse_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


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
    post_type: int = REGULAR
    hidden: bool = False
    category_id: int = 4
    post_url: str | None = None  # given when set, as some endpoints do ("/t/<slug>/<topic>/<number>")

    def as_json(self, topic_title: str) -> dict:
        reply_to = self.reply_to_post_number
        if reply_to is not None and self.id % 2 == 0:  # the spec types it string-or-null
            reply_to = str(reply_to)
        return {
            "id": self.id,
            "name": self.username.title(),
            "username": self.username,
            "avatar_template": f"/user_avatar/forum.example/{self.username}/{{size}}/1_2.png",
            "created_at": discourse_time(self.created_at),
            "cooked": f"<p>{self.raw}</p>",
            "raw": self.raw,
            "post_number": self.post_number,
            "post_type": self.post_type,
            "updated_at": discourse_time(self.updated_at),
            "reply_count": 0,
            "reply_to_post_number": reply_to,
            "quote_count": 0,
            "reads": 3,
            "score": 0.4,
            "topic_id": self.topic_id,
            "topic_slug": f"topic-{self.topic_id}",
            "topic_title": topic_title,
            "topic_html_title": topic_title,
            "category_id": self.category_id,
            "version": self.version,
            "user_id": abs(hash(self.username)) % 10_000,
            "admin": self.staff,
            "moderator": False,
            "staff": self.staff,
            "hidden": self.hidden,
            "deleted_at": None,
            "user_deleted": False,
            "edit_reason": None,
            "wiki": False,
        } | ({"post_url": self.post_url} if self.post_url else {})


class FakeDiscourse(FakeApi):
    """The latest-posts listing of a Discourse forum and single-post reads."""

    name = "discourse"

    def __init__(self, clock: FakeClock | None = None, *, seed: int = 0, api_key: str = "discourse-key",
                 api_username: str = "system", page_size: int = 50):
        super().__init__(clock, seed=seed)
        self.api_key = api_key
        self.api_username = api_username
        self.page_size = page_size
        self.staff_key = True  # an admin key (the ``system`` user) sees restricted categories and private messages
        self.private_topics: set[int] = set()
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

    def whisper(self, topic_id: int, username: str, raw: str) -> FakePost:
        """A staff-only reply (``post_type`` 4): never in ``/posts.json``."""
        post = self.reply(topic_id, username, raw)
        post.post_type = WHISPER
        return post

    def hide(self, post_id: int) -> None:
        """Hidden by flags: out of the listing, ``hidden: true`` for those who may still read it."""
        self.posts[post_id].hidden = True

    def restrict(self, topic_id: int) -> None:
        """The topic moves to a category only some groups can see."""
        for post in self.posts.values():
            if post.topic_id == topic_id:
                post.category_id = RESTRICTED_CATEGORY

    def make_private(self, topic_id: int) -> None:
        """The topic becomes a private message: out of ``/posts.json`` for every key."""
        self.private_topics.add(topic_id)

    def live_posts(self) -> dict[int, FakePost]:
        return {i: p for i, p in self.posts.items() if i not in self.deleted}

    def listed(self, post: FakePost) -> bool:
        """What ``PostsController#latest`` lists: public, visible, regular posts of categories the key sees."""
        return (post.id not in self.deleted and post.post_type == REGULAR and not post.hidden
                and post.topic_id not in self.private_topics
                and (self.staff_key or post.category_id != RESTRICTED_CATEGORY))

    def visible_to_key(self, post: FakePost) -> bool:
        """Whether ``GET /posts/{id}.json`` shows the post (a staff key sees everything not deleted)."""
        return self.staff_key or (post.post_type == REGULAR and not post.hidden
                                  and post.topic_id not in self.private_topics
                                  and post.category_id != RESTRICTED_CATEGORY)

    def mirrored(self) -> dict[int, FakePost]:
        """The posts a mirror of the listing should hold live."""
        return {i: p for i, p in self.posts.items() if self.listed(p)}

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
        posts = sorted((p for p in self.posts.values() if self.listed(p)), key=lambda p: p.id, reverse=True)
        before = request.param("before")
        if before and int(before) > 0:
            posts = [p for p in posts if p.id <= int(before)]  # the source's `posts.id <= ?`
        return Reply(200, {"latest_posts": [p.as_json(self.topics[p.topic_id]) for p in posts[: self.page_size]]})

    def _post(self, request: Request, post_id: str) -> Reply:
        post = self.posts.get(int(post_id))
        if post is None or post.id in self.deleted:
            return Reply(404, {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"})
        if not self.visible_to_key(post):
            return Reply(403, {"errors": ["You are not permitted to view the requested resource."],
                               "error_type": "invalid_access"})
        return Reply(200, post.as_json(self.topics[post.topic_id]))


def _invalid_access() -> Reply:
    return Reply(403, {"errors": ["You are not permitted to view the requested resource. The API username or key is "
                                  "invalid."], "error_type": "invalid_access"})
