{{ config(materialized='view') }}
{#- Tweets of twcs dumps in the shape every channel's posts share (see int_social_posts). The brand
    an inbound tweet is addressed to is the support account that answered it first, else the one it
    answers, else the first support account in its thread. -#}
with

tweets as (
    select * from {{ ref('stg_twcs__tweets') }}
),

brand_candidates as (
    select
        inbound.tweet_id,
        brand.author_id as brand_account,
        case
            when brand.in_reply_to_tweet_id = inbound.tweet_id then 1
            when inbound.in_reply_to_tweet_id = brand.tweet_id then 2
            else 3
        end as preference,
        brand.created_at,
        brand.tweet_id as brand_tweet_id
    from tweets as inbound
    inner join tweets as brand
        on
            inbound.conversation_id = brand.conversation_id
            and brand.is_brand_post
    where not inbound.is_brand_post
),

brands as (
    select
        tweet_id,
        brand_account
    from (
        select
            tweet_id,
            brand_account,
            row_number() over (
                partition by tweet_id order by preference, created_at, brand_tweet_id
            ) as brand_rank
        from brand_candidates
    ) as ranked
    where brand_rank = 1
)

select
    'twitter' as channel,
    tweets.tweet_id as post_id,
    tweets.author_id as author_account_id,
    tweets.author_handle,
    cast(null as text) as author_name,
    cast(null as bigint) as author_followers,
    case when tweets.is_brand_post then tweets.author_id else brands.brand_account end as brand_account_id,
    case when tweets.is_brand_post then tweets.author_id else brands.brand_account end as brand_account,
    tweets.is_brand_post,
    tweets.in_reply_to_tweet_id as parent_post_id,
    tweets.conversation_id,
    tweets.created_at,
    tweets.tweet_text as post_text,
    cast(null as text) as post_url,
    tweets.is_deleted,
    'twcs_tweets' as source_table,
    tweets.tweet_id as source_native_id,
    tweets.payload_hash,
    tweets.extracted_at,
    coalesce(tweets.conversation_id, tweets.tweet_id) as thread_key
from tweets
left join brands on tweets.tweet_id = brands.tweet_id
