{#- Per inbound post: how long the customer has waited on the brand from this post on, and when the
    conversation was resolved.

    A customer "turn" starts with an inbound post that follows a brand post (or opens the thread),
    as Zendesk counts net-new end-user comments; each turn waits until the next brand post in the
    thread (or the build's as-of time). A thread is resolved at its last brand post when no customer
    post follows it. -#}
with

conversations as (
    select * from {{ ref('int_conversations') }}
),

ordered as (
    select
        post_key,
        thread_key,
        is_brand_post,
        needs_response,
        created_at,
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
        max(case when not is_brand_post then created_at end) as last_customer_at
    from conversations
    group by thread_key
),

turns as (
    select
        ordered.*,
        case
            when not ordered.is_brand_post
                then {{ minutes_between(
                    'ordered.created_at',
                    'greatest(coalesce(ordered.next_brand_at, ' ~ as_of() ~ '), ordered.created_at)'
                ) }}
            else 0
        end as own_wait_minutes,
        not ordered.is_brand_post and coalesce(ordered.previous_is_brand, true) as starts_turn
    from ordered
),

final as (
    select
        turns.post_key,
        turns.thread_key,
        -- the wait from this post to the next brand post, plus every later customer turn's wait
        cast(
            turns.own_wait_minutes
            + coalesce(sum(case when turns.starts_turn then turns.own_wait_minutes else 0 end) over (
                partition by turns.thread_key
                order by turns.created_at desc, turns.post_key desc
                rows between unbounded preceding and 1 preceding
            ), 0)
            as numeric(14, 2)
        ) as requester_wait_minutes,
        case
            when thread_ends.last_brand_at >= coalesce(thread_ends.last_customer_at, thread_ends.last_brand_at)
                then thread_ends.last_brand_at
        end as resolved_at,
        turns.needs_response
    from turns
    inner join thread_ends on turns.thread_key = thread_ends.thread_key
)

select
    post_key,
    thread_key,
    requester_wait_minutes,
    resolved_at
from final
where needs_response
