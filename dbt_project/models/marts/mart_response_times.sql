{#- One row per inbound post that needs a response: when it came in, when the brand first answered
    it directly, how long that took in calendar and business minutes, its SLA target and whether
    it was breached, when the conversation was resolved and how long the customer waited. -#}
with

posts as (
    select * from {{ ref('int_social_posts') }}
),

-- a second name for the posts, read for the id of the first response: a CTE read twice would be
-- materialized whole (every column of every post) before the joins
responses as (
    select * from {{ ref('int_social_posts') }}
),

conversations as (
    select * from {{ ref('int_conversations') }}
),

sla as (
    select * from {{ ref('int_inbound_response_sla') }}
),

waits as (
    select * from {{ ref('int_conversation_waits') }}
),

-- the build's as-of time: unanswered posts are measured again by every build (answered ones keep
-- the measurement of the build that last changed them, which their values do not depend on)
latest_measurement as (
    select max(measured_at) as measured_at
    from {{ ref('int_inbound_response_sla') }}
    where first_response_at is null
),

final as (
    select
        sla.post_key,
        posts.post_id,
        sla.channel,
        posts.brand_account,
        sla.customer_id,
        sla.priority,
        sla.received_at,
        sla.first_response_at,
        responses.post_id as first_response_post_id,
        case when sla.first_response_at is not null then sla.elapsed_calendar_minutes end
            as first_response_calendar_minutes,
        case when sla.first_response_at is not null then sla.elapsed_business_minutes end
            as first_response_business_minutes,
        sla.sla_target_minutes,
        sla.sla_in_business_hours,
        sla.schedule_id,
        sla.sla_due_at,
        case
            when sla.sla_in_business_hours then sla.elapsed_business_minutes > sla.sla_target_minutes
            else sla.elapsed_calendar_minutes > sla.sla_target_minutes
        end as is_sla_breached,
        sla.first_response_at is not null as is_answered,
        conversations.replies_before_post as brand_replies_before_post,
        waits.resolved_at,
        cast(
            waits.closed_wait_minutes
            + coalesce({{ minutes_between(
                'waits.waiting_since', 'greatest(' ~ as_of() ~ ', waits.waiting_since)'
            ) }}, 0)
            as numeric(14, 2)
        ) as requester_wait_minutes,
        coalesce((select latest_measurement.measured_at from latest_measurement), {{ as_of() }}) as measured_at
    from sla
    inner join posts on sla.post_key = posts.post_key
    inner join conversations on sla.post_key = conversations.post_key
    left join responses on conversations.first_response_post_key = responses.post_key
    left join waits on sla.post_key = waits.post_key
)

select * from final
