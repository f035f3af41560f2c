"""The demo feed: generated X and Facebook payloads read from a local database (no API, no pool)."""

from extractors.registry import Source

SOURCE = Source(
    name="demo",
    kind="feed",
    description="the demo's generated feed of X tweets and Facebook comments",
    raw_tables=("x_tweets", "facebook_posts", "facebook_comments"),
    text_of={},
    extract="extractors.demo_feed.demo_feed:extract",
    has_data="extractors.demo_feed.demo_feed:has_data",
)
