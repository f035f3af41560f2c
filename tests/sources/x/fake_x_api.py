"""A fake X API v2 (mentions, user timelines, tweet and user lookup) on 127.0.0.1.

Shapes follow the X docs: ``{data, includes, meta, errors}``, ids as strings, fields omitted
when empty, ``meta.next_token`` absent on the last page, ``x-rate-limit-*`` headers on every
response (reset in epoch seconds), a 429 ``rate-limit-exceeded`` when a window is spent, a
429 ``usage-capped`` problem while ``x-rate-limit-remaining`` is still high, 401 for a bad
token, and ``resource-not-found`` partial errors when looking up deleted tweets
(``not-authorized-for-resource`` for a protected author's, ``resource-unavailable`` for a
suspended author's; timelines stop showing both). Edits create a new id with the chain in
``edit_history_tweet_ids``; timelines return only the latest version; deleting any version
deletes the chain. Pagination tokens are opaque keysets. ``GET /2/users?ids=`` takes 1 to 100
ids; the mentions timeline reaches only the newest 800 mentions.

``naming="post"`` speaks the 2026 OpenAPI spelling: the fields parameter is ``post.fields`` and
responses carry ``edit_history_post_ids``, ``referenced_posts`` and ``note_post``; a request
with the other parameter name is an ``invalid-request`` (400).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tests.fakes.fake_api import FakeApi, FakeClock, Reply, Request, routes

PROBLEMS = "https://api.x.com/2/problems/"
DEFAULT_FIELDS = ("id", "text", "edit_history_tweet_ids")
POST_NAMES = {"edit_history_tweet_ids": "edit_history_post_ids", "referenced_tweets": "referenced_posts",
              "note_tweet": "note_post"}


def x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def parse_x_time(text: str) -> datetime:
    return datetime.strptime(text.replace(".000Z", "Z"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


@dataclass
class FakeTweet:
    id: str
    author_id: str
    text: str
    created_at: datetime
    conversation_id: str
    history: list[str]
    mentions: set[str] = field(default_factory=set)
    in_reply_to_user_id: str | None = None
    replied_to: str | None = None
    lang: str = "en"
    note: str | None = None  # the full text of a long post (``note_tweet.text``)

    def as_json(self, fields: set[str], naming: str = "tweet") -> dict:
        full = {
            "id": self.id,
            "text": self.text,
            "edit_history_tweet_ids": list(self.history),
            "author_id": self.author_id,
            "created_at": x_time(self.created_at),
            "conversation_id": self.conversation_id,
            "lang": self.lang,
        }
        if self.in_reply_to_user_id:
            full["in_reply_to_user_id"] = self.in_reply_to_user_id
        if self.replied_to:
            full["referenced_tweets"] = [{"type": "replied_to", "id": self.replied_to}]
        if self.note:
            full["note_tweet"] = {"text": self.note}
        if naming == "post":
            full = {POST_NAMES.get(k, k): v for k, v in full.items()}
            defaults = {POST_NAMES.get(k, k) for k in DEFAULT_FIELDS}
        else:
            defaults = set(DEFAULT_FIELDS)
        return {k: v for k, v in full.items() if v is not None and (k in defaults or k in fields)}


class FakeXApi(FakeApi):
    """The X API v2 endpoints the extractor reads, with their documented behaviours."""

    name = "x"
    window_seconds = 900

    def __init__(self, clock: FakeClock | None = None, *, seed: int = 0, token: str = "x-test-token",
                 window_limit: int = 450, mentions_cap: int = 800, naming: str = "tweet"):
        super().__init__(clock, seed=seed)
        self.token = token
        self.naming = naming
        self.protected: set[str] = set()  # user ids whose posts only their followers see
        self.suspended: set[str] = set()
        self.window_limit = window_limit
        self.mentions_cap = mentions_cap
        self.users: dict[str, dict] = {}
        self.versions: dict[str, FakeTweet] = {}  # every version ever, by id
        self.deleted_chains: set[str] = set()  # original ids of deleted chains
        self._next_id = 1_700_000_000_000_000_000
        self._windows: dict[str, tuple[float, int]] = {}
        self.capped = False
        self.throttle_resets = [5, 60, 300]  # seconds until the reset a "throttle" fault announces
        self.route = routes([
            (r"/2/users", self._users),
            (r"/2/users/(\d+)/mentions", self._mentions),
            (r"/2/users/(\d+)/tweets", self._user_tweets),
            (r"/2/tweets", self._lookup),
        ])

    # --- building the source's data

    def add_user(self, user_id: str, username: str, name: str | None = None, followers: int = 10) -> str:
        self.users[user_id] = {"id": user_id, "username": username, "name": name or username,
                               "public_metrics": {"followers_count": followers}}
        return user_id

    def new_id(self) -> str:
        self._next_id += self.random.randint(1, 1000)
        return str(self._next_id)

    def post(self, author_id: str, text: str, *, mentions: tuple[str, ...] = (), reply_to: str | None = None,
             at: datetime | None = None) -> FakeTweet:
        with self.lock:
            tweet_id = self.new_id()
            parent = self.versions.get(reply_to) if reply_to else None
            tweet = FakeTweet(
                id=tweet_id, author_id=author_id, text=text, created_at=at or self.clock.now(),
                conversation_id=parent.conversation_id if parent else tweet_id, history=[tweet_id],
                mentions=set(mentions) | ({parent.author_id} if parent else set()),
                in_reply_to_user_id=parent.author_id if parent else None, replied_to=reply_to,
            )
            self.versions[tweet_id] = tweet
            return tweet

    def edit(self, tweet_id: str, new_text: str) -> FakeTweet:
        """A new version with a new id; the chain's history lists every id, oldest first."""
        with self.lock:
            old = self.latest(self.versions[tweet_id].history[0])
            new_id = self.new_id()
            new = FakeTweet(**{**old.__dict__, "id": new_id, "text": new_text, "created_at": self.clock.now(),
                               "history": [*old.history, new_id], "mentions": set(old.mentions)})
            self.versions[new_id] = new
            for version_id in old.history:
                self.versions[version_id].history = list(new.history)
            return new

    def delete(self, tweet_id: str) -> None:
        with self.lock:
            self.deleted_chains.add(self.versions[tweet_id].history[0])

    def protect(self, user_id: str) -> None:
        self.protected.add(user_id)

    def suspend(self, user_id: str) -> None:
        self.suspended.add(user_id)

    def latest(self, original_id: str) -> FakeTweet:
        return self.versions[self.versions[original_id].history[-1]]

    def live_tweets(self) -> dict[str, FakeTweet]:
        """Latest version of every chain not deleted, by original id: what the source holds now."""
        chains = {t.history[0] for t in self.versions.values()}
        return {o: self.latest(o) for o in chains if o not in self.deleted_chains}

    def timeline(self, user_id: str, kind: str) -> list[FakeTweet]:
        tweets = [t for t in self.live_tweets().values() if t.author_id not in self.protected | self.suspended]
        if kind == "mentions":
            chosen = [t for t in tweets if user_id in t.mentions and t.author_id != user_id]
        else:
            chosen = [t for t in tweets if t.author_id == user_id]
        return sorted(chosen, key=lambda t: int(t.id), reverse=True)

    # --- data faults

    def mutate(self, kind: str) -> None:
        brands = [u for u in self.users if self.users[u].get("brand")]
        customers = [u for u in self.users if not self.users[u].get("brand")]
        live = sorted(self.live_tweets().values(), key=lambda t: int(t.id))
        if kind == "insert" and brands and customers:
            self.post(self.random.choice(customers), f"new mention {self.random.random():.6f}",
                      mentions=(self.random.choice(brands),))
        elif kind == "delete" and live:
            self.delete(self.random.choice(live).id)
        elif kind == "edit" and live:
            target = self.random.choice(live)
            self.edit(target.id, target.text + " (edited)")

    # --- transport faults, auth, budget

    def fault_reply(self, fault: str, request: Request) -> Reply | None:
        if fault == "throttle":
            return self._rate_limited(request, reset_in=self.random.choice(self.throttle_resets))
        if fault == "token_expired":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        if fault == "usage_capped":
            self.capped = True
            return self._usage_capped()
        return super().fault_reply(fault, request)

    def authorize(self, request: Request) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        if self.capped:
            return self._usage_capped()
        used = self._spend(request.path)
        if used > self.window_limit:
            return self._rate_limited(request)
        return None

    def _usage_capped(self) -> Reply:
        return Reply(429, {"account_id": "1", "product_name": "standard-basic", "title": "UsageCapExceeded",
                           "period": "Monthly", "scope": "Product", "detail": "Usage cap exceeded: Monthly product cap",
                           "type": "https://api.twitter.com/2/problems/usage-capped"})

    def _rate_limited(self, request: Request, reset_in: float | None = None) -> Reply:
        headers = {}
        if reset_in is not None:  # a throttle fault: the window is spent for reset_in seconds
            key = self._window_key(request.path)
            self._windows[key] = (self.clock() + reset_in - self.window_seconds, self.window_limit)
            headers = {"x-rate-limit-remaining": "0"}
        return Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests", "type": PROBLEMS + "rate-limit-exceeded",
                           "status": 429}, headers=headers)

    def _window_key(self, path: str) -> str:
        return path.rsplit("/", 1)[-1] if path.startswith("/2/users/") else path

    def _spend(self, path: str) -> int:
        key = self._window_key(path)
        start, used = self._windows.get(key, (self.clock(), 0))
        if self.clock() >= start + self.window_seconds:
            start, used = self.clock(), 0
        self._windows[key] = (start, used + 1)
        return used + 1

    def budget_headers(self, request: Request, reply: Reply) -> dict[str, str]:
        key = self._window_key(request.path)
        start, used = self._windows.get(key, (self.clock(), 0))
        return {
            "x-rate-limit-limit": str(self.window_limit),
            "x-rate-limit-remaining": str(max(0, self.window_limit - used)),
            "x-rate-limit-reset": str(int(start + self.window_seconds)),
        }

    # --- endpoints

    def _fields(self, request: Request) -> set[str] | Reply:
        """The requested post fields, or the 400 X answers for the parameter name it does not speak."""
        wanted, other = ("post.fields", "tweet.fields") if self.naming == "post" else ("tweet.fields", "post.fields")
        if request.param(other) is not None:
            return _invalid(other, f"The query parameter [{other}] is not one of [ids,max_results,pagination_token,"
                                   f"since_id,until_id,start_time,end_time,expansions,{wanted},user.fields]")
        return set((request.param(wanted) or "").split(","))

    def _users(self, request: Request) -> Reply:
        ids = [i for i in (request.param("ids") or "").split(",") if i]
        if not 1 <= len(ids) <= 100:
            return _invalid("ids", f"The `ids` query parameter value [{len(ids)} ids] is not between 1 and 100")
        return Reply(200, {"data": [self._user_json(i) for i in ids if i in self.users]})

    def _user_json(self, user_id: str) -> dict:
        user = self.users[user_id]
        return {k: v for k, v in user.items() if k != "brand"}

    def _mentions(self, request: Request, user_id: str) -> Reply:
        return self._timeline_page(request, user_id, "mentions")

    def _user_tweets(self, request: Request, user_id: str) -> Reply:
        return self._timeline_page(request, user_id, "tweets")

    def _timeline_page(self, request: Request, user_id: str, kind: str) -> Reply:
        if user_id not in self.users:
            return Reply(404, {"title": "Not Found Error", "type": PROBLEMS + "resource-not-found",
                               "detail": f"Could not find user with id: [{user_id}]."})
        size = int(request.param("max_results", "10"))
        if not 5 <= size <= 100:
            return _invalid("max_results", f"The `max_results` query parameter value [{size}] is not between 5 and 100")
        tweets = self.timeline(user_id, kind)
        if kind == "mentions":
            tweets = tweets[: self.mentions_cap]
        since_id = request.param("since_id")
        if since_id:
            tweets = [t for t in tweets if int(t.id) > int(since_id)]
        start_time = request.param("start_time")
        if start_time:
            begin = parse_x_time(start_time)
            if begin > self.clock.now() - timedelta(seconds=10):
                return _invalid("start_time", "start_time must be at least 10 seconds before now")
            tweets = [t for t in tweets if t.created_at >= begin]
        token = request.param("pagination_token")
        if token:
            below = int(base64.urlsafe_b64decode(token.encode()).decode().split(":")[1])
            tweets = [t for t in tweets if int(t.id) < below]
        page, rest = tweets[:size], tweets[size:]
        fields = self._fields(request)
        if isinstance(fields, Reply):
            return fields
        body: dict = {"meta": {"result_count": len(page)}}
        if page:
            body["data"] = [t.as_json(fields, self.naming) for t in page]
            body["meta"].update(newest_id=page[0].id, oldest_id=page[-1].id)
            if "author_id" in (request.param("expansions") or ""):
                authors = sorted({t.author_id for t in page})
                body["includes"] = {"users": [self._user_json(a) for a in authors if a in self.users]}
        if rest:
            body["meta"]["next_token"] = base64.urlsafe_b64encode(f"lt:{page[-1].id}".encode()).decode()
        return Reply(200, body)

    def _lookup(self, request: Request) -> Reply:
        ids = [i for i in (request.param("ids") or "").split(",") if i]
        if not ids:
            return _invalid("ids", "The ids query parameter can not be empty")
        if len(ids) > 100:
            return _invalid("ids", "The ids query parameter can hold at most 100 ids")
        fields = self._fields(request)
        if isinstance(fields, Reply):
            return fields
        data, errors = [], []
        for tweet_id in ids:
            version = self.versions.get(tweet_id)
            if version is None or version.history[0] in self.deleted_chains:
                errors.append({"value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].",
                               "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                               "resource_id": tweet_id, "type": PROBLEMS + "resource-not-found"})
            elif version.author_id in self.protected:
                errors.append({"value": tweet_id, "detail": f"Sorry, you are not authorized to see the Post with id: "
                               f"[{tweet_id}].", "title": "Authorization Error", "resource_type": "tweet",
                               "parameter": "ids", "resource_id": tweet_id, "section": "data",
                               "type": PROBLEMS + "not-authorized-for-resource"})
            elif version.author_id in self.suspended:
                errors.append({"detail": f"User has been suspended: [{version.author_id}].", "title": "Forbidden",
                               "resource_type": "tweet", "resource_id": tweet_id,
                               "type": PROBLEMS + "resource-unavailable"})
            else:
                data.append(version.as_json(fields, self.naming))
        body: dict = {}
        if data:
            body["data"] = data
            if "author_id" in (request.param("expansions") or ""):
                authors = sorted({t["author_id"] for t in data if "author_id" in t})
                body["includes"] = {"users": [self._user_json(a) for a in authors if a in self.users]}
        if errors:
            body["errors"] = errors
        return Reply(200, body)


def _invalid(parameter: str, message: str) -> Reply:
    return Reply(400, {"errors": [{"parameters": {parameter: []}, "message": message}], "title": "Invalid Request",
                       "detail": "One or more parameters to your request was invalid.",
                       "type": "https://api.twitter.com/2/problems/invalid-request"})
