"""Facebook Pages: the page's posts and every comment on them, through the Graph API."""

from extractors.registry import Pool, Setting, Source

SOURCE = Source(
    name="facebook",
    kind="api",
    description="Graph API: page posts and their comment threads, edits and deletions",
    raw_tables=("facebook_posts", "facebook_comments"),
    text_of={"facebook_posts": "payload ->> 'message'", "facebook_comments": "payload ->> 'message'"},
    extract="extractors.facebook.graph_api:extract",
    pool=Pool("facebook_graph", 2, "Facebook Graph API: app and page usage (X-App-Usage) is shared by all calls."),
    secret=Setting("access_token", "SOCIAL360_FACEBOOK_ACCESS_TOKEN", "page access token"),
    settings=(Setting("page_ids", "SOCIAL360_FACEBOOK_PAGE_IDS", "the pages to read"),
              Setting("app_secret", "SOCIAL360_FACEBOOK_APP_SECRET", "for appsecret_proof")),
    optional_settings=("lookback_minutes", "initial_days", "max_wait_seconds", "page_size", "api_version",
                       "comment_window_days", "min_interval_seconds"),
    default_base_url="https://graph.facebook.com",
    staging_model="stg_facebook__social_posts",
)
