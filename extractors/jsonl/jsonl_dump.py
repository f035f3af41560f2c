"""Import social posts from a JSON-lines file into ``raw.jsonl_posts``, for one channel.

One JSON object per line (the shape is documented in ``docs/SOURCES.md``)::

    {"id": "c-1", "created_at": "2024-05-01T10:00:00Z", "author_id": "u-42", "is_brand": false,
     "text": "My order never arrived", "in_reply_to_id": null, "thread_id": "c-1",
     "author_handle": "jane", "author_name": "Jane Doe", "author_followers": 120,
     "brand_account": "acme", "updated_at": null, "deleted": false, "lang": "en"}

``id``, ``created_at`` (ISO 8601 with a time zone), ``author_id``, ``is_brand`` (boolean)
and ``text`` are required; the rest is optional and unknown fields are kept. Each object
lands as received; the native id is ``<channel>:<id>`` so channels never collide. A file
with any bad line (timestamps outside the window of :mod:`extractors.timestamps` included)
imports nothing and names every bad line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from extractors import timestamps
from extractors.base import StreamResult
from extractors.dumps import Problem, land_dump, not_text, text_lines
from extractors.landing import RawRecord
from extractors.timestamps import Window

SOURCE = "jsonl"
TABLE = "jsonl_posts"
# Channels a JSONL dump may be imported as (kept in step with int_social_posts' accepted values).
CHANNELS = ("twitter", "facebook", "forum", "instagram", "reddit", "review", "chat", "email")
REQUIRED = {"id": (str, int), "created_at": (str,), "author_id": (str, int), "is_brand": (bool,), "text": (str,)}
OPTIONAL = {
    "in_reply_to_id": (str, int), "thread_id": (str, int), "author_handle": (str,), "author_name": (str,),
    "author_followers": (int,), "brand_account": (str,), "updated_at": (str,), "deleted": (bool,), "lang": (str,),
    "url": (str,),
}


class ChannelError(ValueError):
    """The channel name is not one Social360 models."""


def check_channel(channel: str) -> str:
    name = channel.strip().lower()
    if name not in CHANNELS:
        raise ChannelError(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
    return name


def parse_time(value: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"{field} {value!r} is not ISO 8601") from exc
    if moment.tzinfo is None:
        raise ValueError(f"{field} {value!r} has no time zone (add Z or +00:00)")
    return moment


def _check(post: Any, window: Window) -> tuple[datetime, datetime | None]:
    if not isinstance(post, dict):
        raise ValueError(f"expected a JSON object, got {type(post).__name__}")
    for name, types in REQUIRED.items():
        if name not in post or post[name] is None:
            raise ValueError(f"missing required field {name!r}")
        if not isinstance(post[name], types) or (bool not in types and isinstance(post[name], bool)):
            raise ValueError(f"{name!r} must be {' or '.join(t.__name__ for t in types)}, got {post[name]!r}")
    for name, types in OPTIONAL.items():
        value = post.get(name)
        if value is not None and (not isinstance(value, types) or (bool not in types and isinstance(value, bool))):
            raise ValueError(f"{name!r} must be {' or '.join(t.__name__ for t in types)} or null, got {value!r}")
    if str(post["id"]).strip() == "":
        raise ValueError("'id' is empty")
    created = window.check(parse_time(post["created_at"], "created_at"), "created_at")
    updated = window.check(parse_time(post["updated_at"], "updated_at"), "updated_at") if post.get("updated_at") else None
    return created, updated


def read(path: Path, channel: str) -> Iterator[RawRecord | Problem]:
    """Every line of the file as a record, or a problem naming its line (and field)."""
    window = timestamps.window()
    with open(path, "rb") as handle:
        for number, (line, undecodable) in enumerate(text_lines(handle), start=1):
            if not line.strip():
                continue
            try:
                post = json.loads(line, strict=False)
            except json.JSONDecodeError as exc:
                yield Problem(number, not_text(line, undecodable=True) if undecodable else str(exc))
                continue
            try:
                unstorable = not_text(post, undecodable=undecodable)
                if unstorable:
                    raise ValueError(unstorable)
                created, updated = _check(post, window)
            except ValueError as exc:
                yield Problem(number, str(exc))
                continue
            yield RawRecord(
                f"{channel}:{post['id']}", post, source_updated_at=updated or created,
                context={"channel": channel, "source_file": path.name, "line": number},
                is_deleted=bool(post.get("deleted")),
            )


def import_file(path: str | Path, channel: str, run_id: str, *, warehouse_url: str | None = None,
                replace: bool = False) -> StreamResult:
    """Load a JSONL dump into ``raw.jsonl_posts`` as ``channel``: every line, or none if any is bad.
    With ``replace`` the channel's posts imported before that the file does not hold are retracted."""
    path = Path(path)
    channel = check_channel(channel)
    return land_dump(path, read(path, channel), table=TABLE, source=f"{SOURCE}:{channel}", run_id=run_id,
                     warehouse_url=warehouse_url, scope=f"{channel}:", replace=replace)
