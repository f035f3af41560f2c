{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{#- Social posts threaded per channel: which inbound post each brand post answers (macro
    brand_answers), and for each inbound post whether it needs a response and when the brand first
    answered it. Incremental: the threads of the posts int_social_posts rebuilt since the last run
    and the threads of their parents and replies (a dump may put a reply in another thread than its
    parent) are rebuilt from those posts and their parents and replies: every post they depend on. -#}
{%- set incremental = is_incremental_with(['posts_built_at', 'replies_before_post']) %}
with

posts as (
    select * from {{ ref('int_social_posts') }}
),

threaded as (
    select
        post_key,
        channel,
        post_id,
        parent_post_id,
        source_table,
        is_brand_post,
        is_deleted,
        created_at,
        author_account_id,
        brand_account_id,
        brand_account,
        built_at,
        channel || ':' || case
            when source_table = 'facebook_comments' then coalesce(parent_post_id, post_id)
            else coalesce(conversation_id, post_id)
        end as thread_key
    from posts
),

{% if incremental %}
changed as (
    select
        channel,
        post_id,
        parent_post_id,
        thread_key
    from threaded
    where built_at > (
        select coalesce(max(previous.posts_built_at), cast('1970-01-01' as timestamp with time zone))
        from {{ this }} as previous
    )
),

rebuilt_threads as (
    {{ with_parents_and_replies('changed', 'thread_key') }}
),

rebuilt as (
    select * from threaded
    where thread_key in (select rebuilt_threads.thread_key from rebuilt_threads)
),

related_keys as (
    {{ with_parents_and_replies('rebuilt', 'post_key') }}
),

related as (
    select * from threaded
    where post_key in (select related_keys.post_key from related_keys)
),
{% else %}
rebuilt as (
    select * from threaded
),

related as (
    select * from threaded
),
{% endif %}

answers as (
    {{ brand_answers('related') }}
),

ranked_responses as (
    select
        answers.answers_post_key,
        brand.post_key as response_post_key,
        brand.created_at as response_at,
        row_number() over (
            partition by answers.answers_post_key
            order by brand.created_at, brand.post_id
        ) as response_rank
    from answers
    inner join related as brand on answers.brand_post_key = brand.post_key
    inner join related as inbound on answers.answers_post_key = inbound.post_key
    where
        brand.created_at >= inbound.created_at
        and not brand.is_deleted
),

-- replies dated before the post they answer (clock skew, a bad import): counted, so a test reports them
early_replies as (
    select
        answers.answers_post_key,
        count(*) as replies_before_post
    from answers
    inner join related as brand on answers.brand_post_key = brand.post_key
    inner join related as inbound on answers.answers_post_key = inbound.post_key
    where
        brand.created_at < inbound.created_at
        and not brand.is_deleted
    group by answers.answers_post_key
),

first_responses as (
    select
        answers_post_key,
        response_post_key as first_response_post_key,
        response_at as first_response_at
    from ranked_responses
    where response_rank = 1
),

final as (
    select
        rebuilt.post_key,
        rebuilt.channel,
        rebuilt.post_id,
        rebuilt.thread_key,
        rebuilt.is_brand_post,
        case when rebuilt.is_brand_post then 'outbound' else 'inbound' end as direction,
        rebuilt.author_account_id,
        rebuilt.brand_account_id,
        rebuilt.brand_account,
        rebuilt.parent_post_id,
        answers.answers_post_key,
        not rebuilt.is_brand_post and not rebuilt.is_deleted as needs_response,
        rebuilt.created_at,
        first_responses.first_response_at,
        first_responses.first_response_post_key,
        coalesce(early_replies.replies_before_post, 0) as replies_before_post,
        rebuilt.built_at as posts_built_at
    from rebuilt
    left join answers on rebuilt.post_key = answers.brand_post_key
    left join first_responses on rebuilt.post_key = first_responses.answers_post_key
    left join early_replies on rebuilt.post_key = early_replies.answers_post_key
)

select * from final
