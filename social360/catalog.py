"""Names every stage agrees on: raw landing tables and published marts (no heavy imports)."""

SOCIAL_RAW_TABLES = (
    "x_tweets",
    "facebook_posts",
    "facebook_comments",
    "discourse_posts",
    "twcs_tweets",
    "jsonl_posts",
)
CRM_RAW_TABLES = ("crm_customers", "crm_orders", "crm_support_tickets")
RAW_TABLES = SOCIAL_RAW_TABLES + CRM_RAW_TABLES

# Each published mart is validated and swapped into `marts` on its own.
PUBLISHED_MARTS = (
    "dim_customers",
    "fct_interactions",
    "mart_sentiment",
    "mart_response_times",
    "mart_response_times_daily",
    "mart_priority_queue",
)

PUBLISHED_SCHEMA = "marts"
CANDIDATE_SCHEMA = "marts_candidate"
