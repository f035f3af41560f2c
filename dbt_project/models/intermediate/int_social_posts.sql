{#- Every social post on every channel in one shape, with its sentiment and intent. -#}
with

tweets as (
    select * from {{ ref('stg_x__tweets') }}
),

brand_x_accounts as (
    select distinct brand_account_id from tweets
),

comments as (
    select * from {{ ref('stg_facebook__comments') }}
),

scores as (
    select * from {{ ref('stg_enrichment__post_scores') }}
),

x_posts as (
    select
        'twitter' as channel,
        tweets.tweet_id as post_id,
        tweets.author_id as author_account_id,
        tweets.author_username as author_handle,
        tweets.author_name,
        tweets.author_followers,
        tweets.brand_account_id,
        tweets.brand_account,
        tweets.author_id in (select brand_account_id from brand_x_accounts) as is_brand_post,
        tweets.in_reply_to_tweet_id as parent_post_id,
        tweets.conversation_id,
        tweets.created_at,
        tweets.tweet_text as post_text,
        tweets.is_deleted,
        'x_tweets' as source_table,
        tweets.latest_version_id as source_native_id,
        tweets.payload_hash
    from tweets
),

facebook_posts as (
    select
        'facebook' as channel,
        comments.comment_id as post_id,
        comments.author_id as author_account_id,
        cast(null as text) as author_handle,
        comments.author_name,
        cast(null as bigint) as author_followers,
        comments.page_id as brand_account_id,
        comments.page_name as brand_account,
        comments.author_id = comments.page_id as is_brand_post,
        comments.parent_comment_id as parent_post_id,
        comments.post_id as conversation_id,
        comments.created_at,
        comments.message as post_text,
        comments.is_deleted,
        'facebook_comments' as source_table,
        comments.comment_id as source_native_id,
        comments.payload_hash
    from comments
),

unioned as (
    select * from x_posts
    union all
    select * from facebook_posts
),

joined as (
    select
        unioned.channel || ':' || unioned.post_id as post_key,
        unioned.*,
        scores.sentiment_score,
        scores.sentiment_label,
        scores.intent,
        scores.scorer_version
    from unioned
    left join scores
        on scores.source_table = unioned.source_table
        and scores.native_id = unioned.source_native_id
        and scores.payload_hash = unioned.payload_hash
)

select * from joined
