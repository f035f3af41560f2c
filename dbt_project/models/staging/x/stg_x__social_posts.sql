{{ config(materialized='view') }}
{#- X tweets in the shape every channel's posts share (see int_social_posts). A view: the union
    model's filter on `thread_key` reaches the staging table's rows through it. -#}
with

tweets as (
    select * from {{ ref('stg_x__tweets') }}
),

brand_accounts as (
    select distinct brand_account_id from {{ ref('stg_x__tweets') }}
)

select
    'twitter' as channel,
    tweets.tweet_id as post_id,
    tweets.author_id as author_account_id,
    tweets.author_username as author_handle,
    tweets.author_name,
    tweets.author_followers,
    tweets.brand_account_id,
    tweets.brand_account,
    tweets.author_id in (select brand_accounts.brand_account_id from brand_accounts) as is_brand_post,
    tweets.in_reply_to_tweet_id as parent_post_id,
    tweets.conversation_id,
    tweets.created_at,
    tweets.tweet_text as post_text,
    tweets.post_url,
    tweets.is_deleted,
    'x_tweets' as source_table,
    tweets.latest_version_id as source_native_id,
    tweets.payload_hash,
    tweets.extracted_at,
    coalesce(tweets.conversation_id, tweets.tweet_id) as thread_key
from tweets
