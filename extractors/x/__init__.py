"""X (Twitter): the brand accounts' mentions and their replies, through the X API v2."""

from extractors.registry import Pool, Setting, Source

SOURCE = Source(
    name="x",
    kind="api",
    description="X API v2: mentions of each brand account, the brand's own tweets, edits and deletions",
    raw_tables=("x_tweets",),
    text_of={"x_tweets": "coalesce(payload #>> '{note_tweet,text}', payload #>> '{note_post,text}', payload ->> 'text')"},
    extract="extractors.x.x_api:extract",
    pool=Pool("x_api", 1, "X API v2: one app token shares per-endpoint 15-minute windows; calls run one at a time."),
    secret=Setting("bearer_token", "SOCIAL360_X_BEARER_TOKEN", "app-only bearer token"),
    settings=(Setting("brand_user_ids", "SOCIAL360_X_BRAND_USER_IDS", "the brand accounts' user ids"),),
    optional_settings=("lookback_minutes", "initial_days", "max_wait_seconds", "page_size", "tweet_fields",
                       "fields_parameter", "rehydrate_hours", "min_interval_seconds"),
    default_base_url="https://api.x.com",
    staging_model="stg_x__social_posts",
)
