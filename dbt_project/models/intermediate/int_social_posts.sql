{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{#- Every social post on every channel in one shape, with its sentiment and intent.

    Incremental: a run rebuilds every thread (conversation) that gained or changed a post, or a
    score, since the last run minus a lookback for late data (var `incremental_lookback_minutes`),
    because a post's attributes can depend on its thread (the brand a dump's tweet is addressed to).
    The threads are picked in each staging table before anything is joined, so the work follows
    the size of the change, not of the history.
    `dbt build --full-refresh` rebuilds everything and gives the same rows. -#}
{%- set incremental = is_incremental_with(['changed_at', 'post_url']) %}
with

{% if incremental %}
watermark as (
    select
        coalesce(max(changed_at), cast('1970-01-01' as timestamp with time zone))
        - interval '{{ var("incremental_lookback_minutes", 60) }} minutes' as changed_after
    from {{ this }}
),

rescored as (
    select
        source_table,
        native_id
    from {{ ref('stg_enrichment__post_scores') }}
    where scored_at > (select watermark.changed_after from watermark)
),
{% endif %}

tweets as (
    select * from {{ ref('stg_x__tweets') }}
    {% if incremental %}
    where {{ in_changed_threads(
        ref('stg_x__tweets'),
        'coalesce(conversation_id, tweet_id)',
        'latest_version_id',
        'x_tweets'
    ) }}
    {% endif %}
),

brand_x_accounts as (
    select distinct brand_account_id from {{ ref('stg_x__tweets') }}
),

comments as (
    select * from {{ ref('stg_facebook__comments') }}
    {% if incremental %}
    where {{ in_changed_threads(
        ref('stg_facebook__comments'),
        'coalesce(post_id, comment_id)',
        'comment_id',
        'facebook_comments'
    ) }}
    {% endif %}
),

twcs as (
    select * from {{ ref('stg_twcs__tweets') }}
    {% if incremental %}
    where {{ in_changed_threads(
        ref('stg_twcs__tweets'),
        'coalesce(conversation_id, tweet_id)',
        'tweet_id',
        'twcs_tweets'
    ) }}
    {% endif %}
),

forum as (
    select * from {{ ref('stg_discourse__posts') }}
    {% if incremental %}
    where {{ in_changed_threads(
        ref('stg_discourse__posts'),
        'topic_id',
        'post_id',
        'discourse_posts'
    ) }}
    {% endif %}
),

jsonl as (
    select * from {{ ref('stg_jsonl__posts') }}
    {% if incremental %}
    where {{ in_changed_threads(
        ref('stg_jsonl__posts'),
        'coalesce(thread_id, post_id)',
        'jsonl_post_key',
        'jsonl_posts'
    ) }}
    {% endif %}
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
        tweets.author_id in (select brand_x_accounts.brand_account_id from brand_x_accounts) as is_brand_post,
        tweets.in_reply_to_tweet_id as parent_post_id,
        tweets.conversation_id,
        tweets.created_at,
        tweets.tweet_text as post_text,
        tweets.post_url,
        tweets.is_deleted,
        'x_tweets' as source_table,
        tweets.latest_version_id as source_native_id,
        tweets.payload_hash,
        tweets.extracted_at
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
        comments.post_url,
        comments.is_deleted,
        'facebook_comments' as source_table,
        comments.comment_id as source_native_id,
        comments.payload_hash,
        comments.extracted_at
    from comments
),

{# twcs dumps: the brand an inbound tweet is addressed to is the support account that answered
   it first, else the one it answers, else the first support account in its thread. #}
twcs_brand_candidates as (
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
    from twcs as inbound
    inner join twcs as brand
        on
            inbound.conversation_id = brand.conversation_id
            and brand.is_brand_post
    where not inbound.is_brand_post
),

twcs_brands as (
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
        from twcs_brand_candidates
    ) as ranked
    where brand_rank = 1
),

twcs_posts as (
    select
        'twitter' as channel,
        twcs.tweet_id as post_id,
        twcs.author_id as author_account_id,
        twcs.author_handle,
        cast(null as text) as author_name,
        cast(null as bigint) as author_followers,
        case when twcs.is_brand_post then twcs.author_id else twcs_brands.brand_account end as brand_account_id,
        case when twcs.is_brand_post then twcs.author_id else twcs_brands.brand_account end as brand_account,
        twcs.is_brand_post,
        twcs.in_reply_to_tweet_id as parent_post_id,
        twcs.conversation_id,
        twcs.created_at,
        twcs.tweet_text as post_text,
        cast(null as text) as post_url,
        twcs.is_deleted,
        'twcs_tweets' as source_table,
        twcs.tweet_id as source_native_id,
        twcs.payload_hash,
        twcs.extracted_at
    from twcs
    left join twcs_brands on twcs.tweet_id = twcs_brands.tweet_id
),

{# Discourse: a post answers the post it replies to, else its topic's opening post; the
   opening post is the thread root. #}
forum_openers as (
    select
        topic_id,
        post_id as opener_post_id
    from forum
    where post_number = 1
),

forum_posts as (
    select
        'forum' as channel,
        forum.post_id,
        coalesce(forum.user_id, forum.username) as author_account_id,
        forum.username as author_handle,
        forum.author_name,
        cast(null as bigint) as author_followers,
        forum.forum as brand_account_id,
        forum.forum as brand_account,
        forum.is_brand_post,
        case
            when forum.post_number > 1 then coalesce(replied.post_id, forum_openers.opener_post_id)
        end as parent_post_id,
        coalesce(forum_openers.opener_post_id, 'topic-' || cast(forum.topic_id as text)) as conversation_id,
        forum.created_at,
        forum.post_text,
        forum.post_url,
        forum.is_deleted,
        'discourse_posts' as source_table,
        forum.post_id as source_native_id,
        forum.payload_hash,
        forum.extracted_at
    from forum
    left join forum as replied
        on
            forum.topic_id = replied.topic_id
            and forum.reply_to_post_number = replied.post_number
    left join forum_openers on forum.topic_id = forum_openers.topic_id
),

jsonl_posts as (
    select
        jsonl.channel,
        jsonl.post_id,
        jsonl.author_id as author_account_id,
        jsonl.author_handle,
        jsonl.author_name,
        jsonl.author_followers,
        jsonl.brand_account as brand_account_id,
        jsonl.brand_account,
        jsonl.is_brand_post,
        jsonl.in_reply_to_id as parent_post_id,
        jsonl.thread_id as conversation_id,
        jsonl.created_at,
        jsonl.post_text,
        jsonl.post_url,
        jsonl.is_deleted,
        'jsonl_posts' as source_table,
        jsonl.jsonl_post_key as source_native_id,
        jsonl.payload_hash,
        jsonl.extracted_at
    from jsonl
),

unioned as (
    select * from x_posts
    union all
    select * from facebook_posts
    union all
    select * from twcs_posts
    union all
    select * from forum_posts
    union all
    select * from jsonl_posts
),

joined as (
    select
        unioned.channel || ':' || unioned.post_id as post_key,
        unioned.*,
        scores.sentiment_score,
        scores.sentiment_label,
        scores.intent,
        scores.language,
        scores.scorer_version,
        scores.scored_at,
        greatest(unioned.extracted_at, coalesce(scores.scored_at, unioned.extracted_at)) as changed_at,
        {{ dbt.current_timestamp() }} as built_at
    from unioned
    left join scores
        on
            unioned.source_table = scores.source_table
            and unioned.source_native_id = scores.native_id
            and unioned.payload_hash = scores.payload_hash
)

select * from joined
