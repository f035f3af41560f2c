{#- Per inbound post that needs a response: its priority, SLA target and support schedule, the
    calendar and business minutes until the first response (or until the build's as-of time while
    unanswered), and when the SLA falls due. -#}
with

conversations as (
    select * from {{ ref('int_conversations') }}
    where needs_response
),

identities as (
    select * from {{ ref('int_social_identities') }}
),

customer_value as (
    select * from {{ ref('int_customer_value') }}
),

schedules as (
    select * from {{ ref('support_schedules') }}
),

sla_targets as (
    select * from {{ ref('sla_targets') }}
),

intervals as (
    select * from {{ ref('int_support_schedule_intervals') }}
),

posts as (
    select
        conversations.post_key,
        conversations.channel,
        identities.customer_id,
        case when customer_value.value_tier = 'A' then 'high' else 'normal' end as priority,
        conversations.created_at as received_at,
        conversations.first_response_at,
        {{ as_of() }} as measured_at
    from conversations
    left join identities
        on
            conversations.channel = identities.channel
            and conversations.author_account_id = identities.account_id
    left join customer_value on identities.customer_id = customer_value.customer_id
),

with_rules as (
    select
        posts.*,
        coalesce(channel_schedule.schedule_id, default_schedule.schedule_id) as schedule_id,
        coalesce(channel_target.target_minutes, default_target.target_minutes) as sla_target_minutes,
        coalesce(channel_target.in_business_hours, default_target.in_business_hours) as sla_in_business_hours,
        -- the span measured: until the first response, or until now while unanswered
        greatest(coalesce(posts.first_response_at, posts.measured_at), posts.received_at) as measured_until
    from posts
    left join schedules as channel_schedule on posts.channel = channel_schedule.channel
    left join schedules as default_schedule on default_schedule.channel = '*'
    left join sla_targets as channel_target
        on posts.channel = channel_target.channel and posts.priority = channel_target.priority
    left join sla_targets as default_target
        on default_target.channel = '*' and posts.priority = default_target.priority
),

business_overlaps as (
    select
        with_rules.post_key,
        sum(
            {{ minutes_between(
                'greatest(intervals.opens_at, with_rules.received_at)',
                'least(intervals.closes_at, with_rules.measured_until)'
            ) }}
        ) as business_minutes
    from with_rules
    inner join intervals
        on
            with_rules.schedule_id = intervals.schedule_id
            and with_rules.measured_until > intervals.opens_at
            and with_rules.received_at < intervals.closes_at
    group by with_rules.post_key
),

-- business-hours SLAs fall due inside the opening interval where the running total reaches the target
business_running as (
    select
        with_rules.post_key,
        with_rules.sla_target_minutes,
        greatest(intervals.opens_at, with_rules.received_at) as counted_from,
        intervals.closes_at,
        sum({{ minutes_between('greatest(intervals.opens_at, with_rules.received_at)', 'intervals.closes_at') }})
            over (
                partition by with_rules.post_key
                order by intervals.opens_at
                rows between unbounded preceding and current row
            ) as minutes_through
    from with_rules
    inner join intervals
        on
            with_rules.schedule_id = intervals.schedule_id
            and with_rules.received_at < intervals.closes_at
            and intervals.opens_at < with_rules.received_at + interval '60 days'
    where with_rules.sla_in_business_hours
),

business_due as (
    select
        post_key,
        min(
            {{ dbt.dateadd(
                'second',
                'cast(round((sla_target_minutes - (minutes_through - ' ~ minutes_between('counted_from', 'closes_at') ~ ')) * 60) as integer)',
                'counted_from'
            ) }}
        ) as sla_due_at
    from business_running
    where minutes_through >= sla_target_minutes
    group by post_key
),

final as (
    select
        with_rules.post_key,
        with_rules.channel,
        with_rules.customer_id,
        with_rules.priority,
        with_rules.schedule_id,
        with_rules.received_at,
        with_rules.first_response_at,
        with_rules.measured_at,
        with_rules.sla_target_minutes,
        with_rules.sla_in_business_hours,
        cast({{ minutes_between('with_rules.received_at', 'with_rules.measured_until') }} as numeric(14, 2))
            as elapsed_calendar_minutes,
        cast(coalesce(business_overlaps.business_minutes, 0) as numeric(14, 2)) as elapsed_business_minutes,
        case
            when with_rules.sla_in_business_hours then business_due.sla_due_at
            else {{ dbt.dateadd('minute', 'with_rules.sla_target_minutes', 'with_rules.received_at') }}
        end as sla_due_at
    from with_rules
    left join business_overlaps on with_rules.post_key = business_overlaps.post_key
    left join business_due on with_rules.post_key = business_due.post_key
)

select * from final
