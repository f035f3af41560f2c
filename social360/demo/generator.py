"""A deterministic generator of realistic social customer-care data and the CRM behind it.

Customers post complaints, questions and praise to the brand's accounts on X and on its
Facebook page; the brand answers after delays that depend on its support hours (some posts
are never answered); threads run several posts deep; some social accounts belong to CRM
customers, some of whom declared their handle in the CRM. Everything is a pure function of
``(seed, customers, posts, now, days)``, and the generator keeps the ground truth (who is
who, which brand post answers which) so tests can check the marts against it.

The social posts are emitted in the shapes of the real APIs (X API v2 tweet objects,
Facebook Graph comments), so the demo lands into the same raw tables and staging models
as the real extractors.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from social360.demo import phrases

X_EPOCH_MS = 1288834974657  # X snowflake epoch
# Bump when the generator's output for the same parameters changes (it is part of the data set id).
GENERATOR_VERSION = 2


@dataclass(frozen=True)
class BrandAccount:
    channel: str
    account_id: str
    handle: str
    name: str


BRAND_ACCOUNTS = (
    BrandAccount("twitter", "9100000001", "AcmeHelp", "Acme Support"),
    BrandAccount("twitter", "9100000002", "AcmeStore", "Acme Store"),
    BrandAccount("facebook", "1000000000001", "acme", "Acme"),
)


@dataclass
class Customer:
    customer_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    segment: str
    country: str
    twitter_handle: str | None  # as declared in the CRM (None if never given)
    created_at: datetime
    updated_at: datetime


@dataclass
class Order:
    order_id: int
    customer_id: int
    ordered_at: datetime
    amount: float
    status: str
    updated_at: datetime


@dataclass
class Ticket:
    ticket_id: int
    customer_id: int
    channel: str
    subject: str
    status: str
    priority: str
    opened_at: datetime
    closed_at: datetime | None
    updated_at: datetime


@dataclass
class SocialAccount:
    channel: str
    account_id: str
    handle: str
    name: str
    followers: int
    customer_id: int | None  # ground truth: the CRM customer behind the account


@dataclass
class Post:
    channel: str
    native_id: str
    author: SocialAccount | BrandAccount
    is_brand: bool
    brand: BrandAccount
    created_at: datetime
    text: str
    intent: str  # ground truth for inbound posts; 'reply' for brand posts
    parent_id: str | None  # the post it replies to in the API's own threading
    answers_id: str | None  # brand posts: the inbound post this one answers
    conversation_id: str
    thread_root_id: str  # facebook: top-level comment; x: conversation root
    fb_post_id: str | None = None


@dataclass
class DemoData:
    seed: int
    now: datetime
    customers: list[Customer] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    accounts: list[SocialAccount] = field(default_factory=list)
    brand_posts_fb: list[dict] = field(default_factory=list)  # the page's own posts comments hang on
    posts: list[Post] = field(default_factory=list)

    # --- ground truth helpers used by tests and the summary ---------------------------------
    def inbound(self) -> list[Post]:
        return [p for p in self.posts if not p.is_brand]

    def first_responses(self) -> dict[str, datetime]:
        """Inbound post id -> time of the earliest brand post that answers it."""
        first: dict[str, datetime] = {}
        for post in self.posts:
            if post.is_brand and post.answers_id and (
                    post.answers_id not in first or post.created_at < first[post.answers_id]):
                first[post.answers_id] = post.created_at
        return first


def _snowflake(moment: datetime, sequence: int) -> str:
    ms = int(moment.timestamp() * 1000)
    return str(((ms - X_EPOCH_MS) << 22) | (sequence & 0x3FFFFF))


class _Clock:
    """Support hours of the brand: replies are fast in business hours and wait overnight."""

    OPEN_HOUR, CLOSE_HOUR = 8, 20  # UTC, every day; weekends slower

    def reply_delay(self, rng: random.Random, at: datetime, urgency: float) -> timedelta:
        minutes = rng.lognormvariate(math.log(35 / urgency), 0.9)
        start = at
        if not (self.OPEN_HOUR <= at.hour < self.CLOSE_HOUR):
            next_open = at.replace(hour=self.OPEN_HOUR, minute=0, second=0, microsecond=0)
            if at.hour >= self.CLOSE_HOUR:
                next_open += timedelta(days=1)
            start = next_open + timedelta(minutes=rng.uniform(0, 90))
        if start.weekday() >= 5:
            minutes *= 2.5
        delay = (start - at) + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        return timedelta(seconds=round(delay.total_seconds()))  # APIs give whole seconds


MEAN_ORDERS_PER_CUSTOMER = 2.43  # of the order-count distribution below


def generate(
    seed: int = 7,
    customers: int = 300,
    posts: int = 2000,
    now: datetime | None = None,
    days: int = 30,
    orders_per_customer: float | None = None,
) -> DemoData:
    """Generate the CRM and about ``posts`` social posts over the ``days`` before ``now``
    (``orders_per_customer`` scales the order history; about 2.4 by default)."""
    if customers < 1 or posts < 1:
        raise ValueError("customers and posts must be at least 1")
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    rng = random.Random(seed)
    data = DemoData(seed=seed, now=now)
    start = now - timedelta(days=days)
    order_scale = (orders_per_customer or MEAN_ORDERS_PER_CUSTOMER) / MEAN_ORDERS_PER_CUSTOMER
    _generate_crm(rng, data, customers, start, now, order_scale)
    _generate_accounts(rng, data)
    _add_identity_noise(random.Random(seed * 7919 + 1), data)
    _generate_threads(rng, data, posts, start, now)
    return data


def _generate_crm(rng: random.Random, data: DemoData, n: int, start: datetime, now: datetime,
                  order_scale: float = 1.0) -> None:
    used_handles: set[str] = set()
    order_id = 100000
    ticket_id = 5000
    for cid in range(1, n + 1):
        first = rng.choice(phrases.FIRST_NAMES)
        last = rng.choice(phrases.LAST_NAMES)
        created = now - timedelta(days=rng.uniform(40, 900))
        segment = rng.choices(["consumer", "small_business", "enterprise"], weights=[75, 20, 5])[0]
        handle = _unique_handle(rng, first, last, used_handles)
        customer = Customer(
            customer_id=cid,
            first_name=first,
            last_name=last,
            email=f"{first}.{last}{cid}@{rng.choice(phrases.EMAIL_DOMAINS)}".lower(),
            phone=f"+1-555-{rng.randint(100, 999):03d}-{rng.randint(1000, 9999):04d}",
            segment=segment,
            country=rng.choice(phrases.COUNTRIES),
            twitter_handle=handle,  # decided below whether it is declared
            created_at=created,
            updated_at=created + timedelta(days=rng.uniform(0, (now - created).days or 1)),
        )
        data.customers.append(customer)
        value_scale = {"consumer": 1.0, "small_business": 4.0, "enterprise": 15.0}[segment]
        order_count = rng.choices([0, 1, 2, 3, 5, 8], weights=[10, 30, 25, 15, 12, 8])[0]
        if order_scale != 1.0:
            order_count = int(order_count * order_scale + rng.random())
        for _ in range(order_count):
            ordered = created + timedelta(days=rng.uniform(0, max((now - created).days, 1)))
            ordered = min(ordered, now - timedelta(minutes=5))
            status = rng.choices(["delivered", "shipped", "processing", "cancelled", "refunded"], [70, 10, 8, 7, 5])[0]
            order_id += 1
            data.orders.append(
                Order(
                    order_id=order_id,
                    customer_id=cid,
                    ordered_at=ordered,
                    amount=round(rng.lognormvariate(math.log(60 * value_scale), 0.7), 2),
                    status=status,
                    updated_at=min(ordered + timedelta(days=rng.uniform(0, 6)), now - timedelta(minutes=1)),
                )
            )
        if rng.random() < 0.35:
            for _ in range(rng.choice([1, 1, 2])):
                opened = now - timedelta(days=rng.uniform(0, 120), minutes=rng.uniform(0, 600))
                opened = max(opened, created)
                closed = opened + timedelta(hours=rng.uniform(1, 96)) if rng.random() < 0.7 else None
                if closed and closed > now:
                    closed = None
                ticket_id += 1
                data.tickets.append(
                    Ticket(
                        ticket_id=ticket_id,
                        customer_id=cid,
                        channel=rng.choice(["email", "phone", "chat", "twitter", "facebook"]),
                        subject=rng.choice(phrases.TICKET_SUBJECTS),
                        status="closed" if closed else rng.choice(["open", "pending", "open"]),
                        priority=rng.choices(["low", "normal", "high", "urgent"], [20, 55, 20, 5])[0],
                        opened_at=opened,
                        closed_at=closed,
                        updated_at=closed or opened + timedelta(minutes=rng.uniform(1, 120)),
                    )
                )
                data.tickets[-1].updated_at = min(data.tickets[-1].updated_at, now)


def _unique_handle(rng: random.Random, first: str, last: str, used: set[str]) -> str:
    while True:
        style = rng.randint(0, 3)
        base = [f"{first}{last}", f"{first}_{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"][style]
        handle = (base + (str(rng.randint(1, 999)) if rng.random() < 0.5 else ""))[:15]
        key = handle.lower()
        if key not in used:
            used.add(key)
            return handle


def _generate_accounts(rng: random.Random, data: DemoData) -> None:
    next_id = 700000000
    for customer in data.customers:
        has_x = rng.random() < 0.7
        if has_x:
            next_id += rng.randint(1, 50)
            data.accounts.append(
                SocialAccount(
                    channel="twitter",
                    account_id=str(next_id),
                    handle=customer.twitter_handle or "",
                    name=f"{customer.first_name} {customer.last_name}",
                    followers=_followers(rng),
                    customer_id=customer.customer_id,
                )
            )
            if rng.random() >= 0.75:  # the customer never told the CRM their handle
                customer.twitter_handle = None
        else:
            customer.twitter_handle = None
        if rng.random() < 0.45:
            next_id += rng.randint(1, 50)
            data.accounts.append(
                SocialAccount(
                    channel="facebook",
                    account_id=str(10_000_000_000 + next_id),
                    handle="",
                    name=f"{customer.first_name} {customer.last_name}",
                    followers=0,
                    customer_id=customer.customer_id,
                )
            )
    used = {a.handle.lower() for a in data.accounts if a.handle}
    strangers = max(20, len(data.customers) // 2)
    for _ in range(strangers):
        first = rng.choice(phrases.FIRST_NAMES)
        last = rng.choice(phrases.STRANGER_LAST_NAMES)
        next_id += rng.randint(1, 50)
        if rng.random() < 0.65:
            data.accounts.append(
                SocialAccount(
                    "twitter", str(next_id), _unique_handle(rng, first, last, used), f"{first} {last}", _followers(rng), None
                )
            )
        else:
            data.accounts.append(
                SocialAccount("facebook", str(10_000_000_000 + next_id), "", f"{first} {last}", 0, None)
            )


def _add_identity_noise(rng: random.Random, data: DemoData) -> None:
    """Make identities as messy as real ones: display names that are not the CRM's spelling
    (nicknames, initials, lower case, emoji, titles, first name only) and strangers who happen to
    share a customer's name. A separate random stream keeps the rest of the data set unchanged."""
    customers = data.customers
    for account in data.accounts:
        if account.customer_id is None:
            continue
        first, last = account.name.split(" ", 1)
        account.name = phrases.display_name(rng, first, last, facebook=account.channel == "facebook")
    used = {a.handle.lower() for a in data.accounts if a.handle}
    namesakes = max(1, len(customers) // 40)
    next_id = 900000000
    for customer in rng.sample(customers, min(namesakes, len(customers))):
        next_id += rng.randint(1, 50)
        channel = rng.choice(["twitter", "facebook"])
        name = phrases.display_name(rng, customer.first_name, customer.last_name, facebook=channel == "facebook")
        if channel == "twitter":
            handle = _unique_handle(rng, customer.first_name, customer.last_name + "x", used)
            data.accounts.append(SocialAccount("twitter", str(next_id), handle, name, _followers(rng), None))
        else:
            data.accounts.append(SocialAccount("facebook", str(10_000_000_000 + next_id), "", name, 0, None))


def _followers(rng: random.Random) -> int:
    return int(rng.paretovariate(1.1) * 40) if rng.random() < 0.97 else rng.randint(20_000, 400_000)


def _moment(rng: random.Random, start: datetime, now: datetime) -> datetime:
    """A posting time, more likely in the daytime."""
    while True:
        moment = start + timedelta(seconds=rng.uniform(0, (now - start).total_seconds()))
        weight = 0.25 + 0.75 * math.sin(math.pi * ((moment.hour - 6) % 24) / 24) ** 2
        if rng.random() < weight:
            return moment.replace(microsecond=0)


def _generate_threads(rng: random.Random, data: DemoData, target: int, start: datetime, now: datetime) -> None:
    clock = _Clock()
    sequence = 0
    by_channel = {
        "twitter": [a for a in data.accounts if a.channel == "twitter"],
        "facebook": [a for a in data.accounts if a.channel == "facebook"],
    }
    brands = {
        "twitter": [b for b in BRAND_ACCOUNTS if b.channel == "twitter"],
        "facebook": [b for b in BRAND_ACCOUNTS if b.channel == "facebook"],
    }
    customer_by_id = {c.customer_id: c for c in data.customers}
    orders_by_customer: dict[int, list[int]] = {}
    for order in data.orders:
        orders_by_customer.setdefault(order.customer_id, []).append(order.order_id)
    # The page's own posts, one every day or so; customers comment under the latest one.
    page = brands["facebook"][0]
    fb_posts = []
    moment = start - timedelta(days=1)
    post_seq = 0
    while moment < now:
        post_seq += 1
        fb_posts.append(
            {
                "id": f"{page.account_id}_{4000000 + post_seq}",
                "message": rng.choice(phrases.PAGE_POSTS),
                "created_time": _fb_time(moment),
                "from": {"id": page.account_id, "name": page.name},
                "_created": moment,
            }
        )
        moment += timedelta(hours=rng.uniform(12, 36))
    data.brand_posts_fb = fb_posts
    comment_seq = 0

    while len(data.posts) < target:
        channel = "twitter" if rng.random() < 0.6 else "facebook"
        author = rng.choice(by_channel[channel])
        brand = rng.choice(brands[channel]) if channel == "twitter" else page
        intent = rng.choices(["complaint", "question", "praise", "other"], weights=[42, 33, 17, 8])[0]
        opened = _moment(rng, start, now)
        customer = customer_by_id.get(author.customer_id) if author.customer_id else None
        fb_post = None
        if channel == "facebook":
            candidates = [p for p in fb_posts if p["_created"] <= opened]
            fb_post = candidates[-1] if candidates else fb_posts[0]
        thread: list[Post] = []
        answer_p = {"complaint": 0.9, "question": 0.88, "praise": 0.55, "other": 0.35}[intent]
        urgency = {"complaint": 1.3, "question": 1.0, "praise": 0.5, "other": 0.6}[intent]
        if customer and customer.segment != "consumer":
            urgency *= 1.5
        turn_intent = intent
        at = opened
        depth = 0
        root_id = None
        conversation = None
        while True:
            sequence += 1
            comment_seq += 1
            own_orders = orders_by_customer.get(author.customer_id or -1)
            order_ref = rng.choice(own_orders) if own_orders and rng.random() < 0.8 else None
            text = phrases.customer_text(
                rng, turn_intent, brand.handle if channel == "twitter" else None, depth, order_id=order_ref
            )
            if channel == "twitter":
                native = _snowflake(at, sequence)
                parent = thread[-1].native_id if thread else None
                conversation = conversation or native
            else:
                native = f"{fb_post['id'].split('_')[1]}_{9000000 + comment_seq}"
                parent = root_id  # facebook threads are two levels deep
                conversation = fb_post["id"]
            post = Post(
                channel=channel,
                native_id=native,
                author=author,
                is_brand=False,
                brand=brand,
                created_at=at,
                text=text,
                intent=turn_intent,
                parent_id=parent,
                answers_id=None,
                conversation_id=conversation,
                thread_root_id=root_id or native,
                fb_post_id=fb_post["id"] if fb_post else None,
            )
            root_id = root_id or native
            thread.append(post)
            depth += 1
            if rng.random() > answer_p:
                break
            reply_at = at + clock.reply_delay(rng, at, urgency)
            if reply_at >= now:
                break
            sequence += 1
            comment_seq += 1
            if channel == "twitter":
                reply_native = _snowflake(reply_at, sequence)
            else:
                reply_native = f"{fb_post['id'].split('_')[1]}_{9000000 + comment_seq}"
            reply = Post(
                channel=channel,
                native_id=reply_native,
                author=brand,
                is_brand=True,
                brand=brand,
                created_at=reply_at,
                text=phrases.brand_text(rng, turn_intent, author.handle if channel == "twitter" else author.name, depth),
                intent="reply",
                parent_id=post.native_id if channel == "twitter" else root_id,
                answers_id=post.native_id,
                conversation_id=conversation,
                thread_root_id=root_id,
                fb_post_id=fb_post["id"] if fb_post else None,
            )
            thread.append(reply)
            # a second brand message sometimes follows the first ("2/2"), answering nothing new
            if rng.random() < 0.12 and reply_at + timedelta(minutes=2) < now:
                sequence += 1
                comment_seq += 1
                follow_at = reply_at + timedelta(seconds=rng.randint(20, 110))
                follow_native = (
                    _snowflake(follow_at, sequence)
                    if channel == "twitter"
                    else f"{fb_post['id'].split('_')[1]}_{9000000 + comment_seq}"
                )
                thread.append(
                    Post(
                        channel=channel,
                        native_id=follow_native,
                        author=brand,
                        is_brand=True,
                        brand=brand,
                        created_at=follow_at,
                        text=phrases.brand_followup(rng),
                        intent="reply",
                        parent_id=reply.native_id if channel == "twitter" else root_id,
                        answers_id=None,
                        conversation_id=conversation,
                        thread_root_id=root_id,
                        fb_post_id=fb_post["id"] if fb_post else None,
                    )
                )
            if depth >= 3 or rng.random() > 0.45:
                break
            at = thread[-1].created_at + timedelta(seconds=round(60 * rng.lognormvariate(math.log(25), 1.0)))
            if at >= now:
                break
            turn_intent = rng.choices(
                ["complaint", "question", "praise", "other"],
                weights=[55, 20, 20, 5] if intent == "complaint" else [20, 45, 30, 5],
            )[0]
        data.posts.extend(thread)
    data.posts.sort(key=lambda p: (p.created_at, p.native_id))


def _fb_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _x_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# --- API shapes ------------------------------------------------------------------------------


def x_tweet_payload(post: Post) -> tuple[dict, dict]:
    """The X API v2 tweet object for ``post`` and the extraction context (brand, author user)."""
    author = post.author
    tweet = {
        "id": post.native_id,
        "text": post.text,
        "edit_history_tweet_ids": [post.native_id],
        "author_id": author.account_id,
        "created_at": _x_time(post.created_at),
        "conversation_id": post.conversation_id,
        "lang": "en",
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
    }
    if post.parent_id:
        tweet["referenced_tweets"] = [{"type": "replied_to", "id": post.parent_id}]
    user = {"id": author.account_id, "username": author.handle, "name": author.name}
    if isinstance(author, SocialAccount):
        user["public_metrics"] = {"followers_count": author.followers}
    context = {
        "brand_user_id": post.brand.account_id,
        "brand_username": post.brand.handle,
        "stream": "brand_tweets" if post.is_brand else "mentions",
        "author": user,
    }
    return tweet, context


def facebook_comment_payload(post: Post) -> tuple[dict, dict]:
    """The Graph API comment object for ``post`` and its context (page, parent post)."""
    comment = {
        "id": post.native_id,
        "message": post.text,
        "created_time": _fb_time(post.created_at),
        "from": {"id": post.author.account_id, "name": post.author.name},
    }
    if post.parent_id:
        comment["parent"] = {"id": post.parent_id}
    context = {"page_id": post.brand.account_id, "page_name": post.brand.name, "post_id": post.fb_post_id}
    return comment, context
