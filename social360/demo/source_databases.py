"""Write generated demo data into the demo's source systems.

The CRM goes into database ``crm`` (customers, orders, support_tickets, each with
``updated_at``), as a company's transactional database would hold it. The social posts go
into database ``social_demo`` as an ordered feed of API objects (X tweets, Facebook page
posts and comments) that the demo extractor reads incrementally by sequence number. The
generator's ground truth (which social account belongs to which customer, which brand
post answers which) is kept beside the feed for evaluation.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import psycopg

from social360.core import config, db
from social360.demo.generator import DemoData, facebook_comment_payload, x_tweet_payload

CRM_DDL = """
CREATE TABLE IF NOT EXISTS customers (
    customer_id     bigint PRIMARY KEY,
    first_name      text NOT NULL,
    last_name       text NOT NULL,
    email           text,
    phone           text,
    segment         text NOT NULL,
    country         text,
    twitter_handle  text,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id        bigint PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customers,
    ordered_at      timestamptz NOT NULL,
    amount          numeric(12, 2) NOT NULL,
    status          text NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS support_tickets (
    ticket_id       bigint PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customers,
    channel         text NOT NULL,
    subject         text NOT NULL,
    status          text NOT NULL,
    priority        text NOT NULL,
    opened_at       timestamptz NOT NULL,
    closed_at       timestamptz,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_updated_at_idx ON customers (updated_at);
CREATE INDEX IF NOT EXISTS orders_updated_at_idx ON orders (updated_at);
CREATE INDEX IF NOT EXISTS support_tickets_updated_at_idx ON support_tickets (updated_at);
"""

SOCIAL_DDL = """
CREATE TABLE IF NOT EXISTS events (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    object_type  text        NOT NULL,
    native_id    text        NOT NULL,
    payload      jsonb       NOT NULL,
    context      jsonb       NOT NULL,
    occurred_at  timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS generation (
    id             integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    generation_id  text        NOT NULL,
    params         jsonb       NOT NULL,
    generated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS account_truth (
    channel      text NOT NULL,
    account_id   text NOT NULL,
    handle       text,
    name         text,
    customer_id  bigint,
    PRIMARY KEY (channel, account_id)
);
CREATE TABLE IF NOT EXISTS response_truth (
    channel          text NOT NULL,
    inbound_id       text NOT NULL,
    brand_account    text NOT NULL,
    received_at      timestamptz NOT NULL,
    first_response_at timestamptz,
    intent           text NOT NULL,
    PRIMARY KEY (channel, inbound_id)
);
"""


def generation_id(params: dict) -> str:
    """Identifies a data set: the generator's parameters and its version."""
    from social360.demo.generator import GENERATOR_VERSION

    keyed = {**params, "generator_version": GENERATOR_VERSION}
    return hashlib.sha256(json.dumps(keyed, sort_keys=True, default=str).encode()).hexdigest()[:16]


def current_generation() -> str | None:
    """The id of the data set now in the demo sources, if any."""
    with psycopg.connect(db.source_url(config.DEMO_SOCIAL_DB)) as conn:
        conn.execute(SOCIAL_DDL)
        row = conn.execute("SELECT generation_id FROM generation").fetchone()
        return row[0] if row else None


def write(data: DemoData, params: dict) -> str:
    """Replace the demo sources' content with ``data``; return the generation id."""
    gen = generation_id(params)
    _write_crm(data)
    _write_social(data, gen, params)
    return gen


def _write_crm(data: DemoData) -> None:
    with psycopg.connect(db.source_url(config.CRM_DB)) as conn:
        conn.execute(CRM_DDL)
        conn.execute("TRUNCATE support_tickets, orders, customers")
        with conn.cursor() as cur:
            with cur.copy(
                "COPY customers (customer_id, first_name, last_name, email, phone, segment, country, "
                "twitter_handle, created_at, updated_at) FROM STDIN"
            ) as copy:
                for c in data.customers:
                    copy.write_row(
                        (c.customer_id, c.first_name, c.last_name, c.email, c.phone, c.segment, c.country,
                         c.twitter_handle, c.created_at, c.updated_at)
                    )
            with cur.copy(
                "COPY orders (order_id, customer_id, ordered_at, amount, status, updated_at) FROM STDIN"
            ) as copy:
                for o in data.orders:
                    copy.write_row((o.order_id, o.customer_id, o.ordered_at, o.amount, o.status, o.updated_at))
            with cur.copy(
                "COPY support_tickets (ticket_id, customer_id, channel, subject, status, priority, opened_at, "
                "closed_at, updated_at) FROM STDIN"
            ) as copy:
                for t in data.tickets:
                    copy.write_row(
                        (t.ticket_id, t.customer_id, t.channel, t.subject, t.status, t.priority, t.opened_at,
                         t.closed_at, t.updated_at)
                    )


def _events(data: DemoData) -> list[tuple[str, str, dict, dict, datetime]]:
    events = []
    for fb_post in data.brand_posts_fb:
        payload = {k: v for k, v in fb_post.items() if not k.startswith("_")}
        context = {"page_id": fb_post["from"]["id"], "page_name": fb_post["from"]["name"]}
        events.append(("facebook_post", payload["id"], payload, context, fb_post["_created"]))
    for post in data.posts:
        if post.channel == "twitter":
            payload, context = x_tweet_payload(post)
            events.append(("x_tweet", post.native_id, payload, context, post.created_at))
        else:
            payload, context = facebook_comment_payload(post)
            events.append(("facebook_comment", post.native_id, payload, context, post.created_at))
    events.sort(key=lambda e: (e[4], e[1]))
    return events


def _write_social(data: DemoData, gen: str, params: dict) -> None:
    first = data.first_responses()
    with psycopg.connect(db.source_url(config.DEMO_SOCIAL_DB)) as conn:
        conn.execute(SOCIAL_DDL)
        conn.execute("TRUNCATE events RESTART IDENTITY")
        conn.execute("TRUNCATE account_truth, response_truth, generation")
        with conn.cursor() as cur:
            with cur.copy("COPY events (object_type, native_id, payload, context, occurred_at) FROM STDIN") as copy:
                for object_type, native_id, payload, context, at in _events(data):
                    copy.write_row((object_type, native_id, json.dumps(payload), json.dumps(context), at))
            with cur.copy("COPY account_truth (channel, account_id, handle, name, customer_id) FROM STDIN") as copy:
                for a in data.accounts:
                    copy.write_row((a.channel, a.account_id, a.handle or None, a.name, a.customer_id))
            with cur.copy(
                "COPY response_truth (channel, inbound_id, brand_account, received_at, first_response_at, intent) "
                "FROM STDIN"
            ) as copy:
                for p in data.inbound():
                    copy.write_row(
                        (p.channel, p.native_id, p.brand.handle, p.created_at, first.get(p.native_id), p.intent)
                    )
        conn.execute(
            "INSERT INTO generation (generation_id, params) VALUES (%s, %s)",
            (gen, json.dumps(params, default=str)),
        )
