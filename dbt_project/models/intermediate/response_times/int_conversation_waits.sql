{{ config(
    materialized='incremental',
    unique_key='thread_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook=[
        "delete from {{ this }} as waits where not exists (select from {{ ref('int_conversations') }} as c"
        ~ " where c.post_key = waits.post_key and c.thread_key = waits.thread_key and c.needs_response)",
    ],
) }}
{#- Per inbound post: the customer's wait on the brand from this post on, in two parts that do not
    depend on the build's as-of time (mart_response_times adds them up at its as-of time), and
    when the conversation was resolved.

    A customer "turn" starts with an inbound post that follows a brand post (or opens the thread),
    as Zendesk counts net-new end-user comments; each turn waits until the next brand post in the
    thread. Turns already answered are over (closed_wait_minutes); only the last turn can still
    be waiting, and then every earlier post's wait grows with it from waiting_since. A thread is
    resolved at its last brand post when no customer post follows it.

    Incremental: a thread is measured again (all its rows replaced) when a post of it was rebuilt
    by int_conversations since (thread_built_at). Rows of posts that no longer need a response, or
    moved to another thread, are deleted by the post-hook. -#}
{%- set incremental = is_incremental_with(['closed_wait_minutes', 'waiting_since', 'thread_built_at']) %}
with

{% if incremental %}
-- (each CTE reads the model once: a CTE read twice is materialized whole before any filter)
rebuilt_posts as (
    select thread_key from {{ ref('int_conversations') }}
    where posts_built_at > (
        select coalesce(max(previous.thread_built_at), cast('1970-01-01' as timestamp with time zone))
        from {{ this }} as previous
    )
),

conversations as (
    select * from {{ ref('int_conversations') }}
    where thread_key in (select rebuilt_posts.thread_key from rebuilt_posts)
),
{% else %}
conversations as (
    select * from {{ ref('int_conversations') }}
),
{% endif %}

ordered as (
    select
        post_key,
        thread_key,
        is_brand_post,
        needs_response,
        created_at,
        posts_built_at,
        lag(is_brand_post) over (partition by thread_key order by created_at, post_key) as previous_is_brand,
        min(case when is_brand_post then created_at end) over (
            partition by thread_key
            order by created_at, post_key
            rows between 1 following and unbounded following
        ) as next_brand_at
    from conversations
),

thread_ends as (
    select
        thread_key,
        max(case when is_brand_post then created_at end) as last_brand_at,
        max(case when not is_brand_post then created_at end) as last_customer_at,
        -- the last turn while no brand post follows it: its first post
        min(case when not is_brand_post and next_brand_at is null then created_at end) as waiting_since,
        max(posts_built_at) as thread_built_at
    from ordered
    group by thread_key
),

turns as (
    select
        ordered.*,
        case
            when not ordered.is_brand_post and ordered.next_brand_at is not null
                then {{ minutes_between('ordered.created_at', 'greatest(ordered.next_brand_at, ordered.created_at)') }}
            else 0
        end as answered_wait_minutes,
        not ordered.is_brand_post and coalesce(ordered.previous_is_brand, true) as starts_turn
    from ordered
),

final as (
    select
        turns.post_key,
        turns.thread_key,
        -- this post's wait if answered, plus every later customer turn answered since
        turns.answered_wait_minutes
        + coalesce(sum(case when turns.starts_turn then turns.answered_wait_minutes else 0 end) over (
            partition by turns.thread_key
            order by turns.created_at desc, turns.post_key desc
            rows between unbounded preceding and 1 preceding
        ), 0) as closed_wait_minutes,
        -- a post of the waiting turn waits from its own time, an earlier one with the turn
        case
            when thread_ends.waiting_since is not null then greatest(turns.created_at, thread_ends.waiting_since)
        end as waiting_since,
        case
            when thread_ends.last_brand_at >= coalesce(thread_ends.last_customer_at, thread_ends.last_brand_at)
                then thread_ends.last_brand_at
        end as resolved_at,
        thread_ends.thread_built_at,
        turns.needs_response
    from turns
    inner join thread_ends on turns.thread_key = thread_ends.thread_key
)

select
    post_key,
    thread_key,
    closed_wait_minutes,
    waiting_since,
    resolved_at,
    thread_built_at
from final
where needs_response
