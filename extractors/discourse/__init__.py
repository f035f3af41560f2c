"""Discourse: a community forum's posts, through its API."""

from extractors.registry import Pool, Setting, Source

SOURCE = Source(
    name="discourse",
    kind="api",
    description="Discourse API: the forum's latest posts, edits, deletions and posts no longer visible",
    raw_tables=("discourse_posts",),
    text_of={"discourse_posts": "coalesce(payload ->> 'raw', payload ->> 'cooked')"},
    extract="extractors.discourse.discourse_api:extract",
    pool=Pool("discourse", 1, "Discourse forum API: per-IP and per-key limits; one walker at a time."),
    secret=Setting("api_key", "SOCIAL360_DISCOURSE_API_KEY", "an API key"),
    login=Setting("api_username", "SOCIAL360_DISCOURSE_API_USERNAME", "the user the key acts as"),
    settings=(Setting("brand_usernames", "SOCIAL360_DISCOURSE_BRAND_USERNAMES", "the brand's forum users"),),
    optional_settings=("lookback_minutes", "initial_days", "max_wait_seconds", "page_size", "staff_is_brand",
                       "min_interval_seconds", "forum_name"),
    default_base_url=None,
    staging_model="stg_discourse__social_posts",
)
