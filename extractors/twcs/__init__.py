"""twcs dumps: Kaggle's "Customer Support on Twitter" CSV, imported with ``social360 import twcs``."""

from extractors.registry import Source

SOURCE = Source(
    name="twcs",
    kind="dump",
    description="twcs CSV dumps of support conversations on X",
    raw_tables=("twcs_tweets",),
    text_of={"twcs_tweets": "payload ->> 'text'"},
    staging_model="stg_twcs__social_posts",
)
