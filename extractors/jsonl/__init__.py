"""JSON-lines dumps: posts of any channel, imported with ``social360 import jsonl``."""

from extractors.registry import Source

SOURCE = Source(
    name="jsonl",
    kind="dump",
    description="JSON-lines dumps, one post per line, in the channel they are imported as",
    raw_tables=("jsonl_posts",),
    text_of={"jsonl_posts": "payload ->> 'text'"},
    staging_model="stg_jsonl__social_posts",
)
