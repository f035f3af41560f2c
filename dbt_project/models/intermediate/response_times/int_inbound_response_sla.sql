{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
    post_hook=[
        "delete from {{ this }} as sla where not exists (select from {{ ref('int_conversations') }} as c"
        ~ " where c.post_key = sla.post_key and c.needs_response)",
    ],
) }}
{#- Per inbound post that needs a response: its priority, SLA target and support schedule, the
    calendar and business minutes until the first response (or until the build's as-of time while
    unanswered), and when the SLA falls due.

    Incremental: a row is measured again when anything it is computed from differs from what it
    was computed from (its customer, priority, receipt, first response, or the schedules and
    targets, whose seeds are fingerprinted in rules_version), and on every run while unanswered
    (it is measured against the build's as-of time). Rows of posts that no longer need a response
    are deleted by the post-hook. -#}
{%- set incremental = is_incremental_with(['rules_version']) %}
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

schedule_hours as (
    select * from {{ ref('support_schedule_hours') }}
),

holidays as (
    select * from {{ ref('support_holidays') }}
),

sla_targets as (
    select * from {{ ref('sla_targets') }}
),

intervals as (
    select * from {{ ref('int_support_schedule_intervals') }}
),

rules_version as (
    select
        md5(concat_ws(
            '#'
            {%- for seed in ['schedules', 'schedule_hours', 'holidays', 'sla_targets'] %},
            (select string_agg(cast(r as text), '|' order by cast(r as text)) from {{ seed }} as r)
            {%- endfor %}
        )) as rules_version
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
        greatest(coalesce(posts.first_response_at, posts.measured_at), posts.received_at) as measured_until,
        rules_version.rules_version
    from posts
    cross join rules_version
    left join schedules as channel_schedule on posts.channel = channel_schedule.channel
    left join schedules as default_schedule on default_schedule.channel = '*'
    left join sla_targets as channel_target
        on posts.channel = channel_target.channel and posts.priority = channel_target.priority
    left join sla_targets as default_target
        on default_target.channel = '*' and posts.priority = default_target.priority
),

{% if incremental %}
to_measure as (
    select with_rules.*
    from with_rules
    left join {{ this }} as previous on with_rules.post_key = previous.post_key
    where
        previous.post_key is null
        or with_rules.first_response_at is null
        or previous.first_response_at is distinct from with_rules.first_response_at
        or previous.received_at is distinct from with_rules.received_at
        or previous.customer_id is distinct from with_rules.customer_id
        or previous.priority is distinct from with_rules.priority
        or previous.rules_version is distinct from with_rules.rules_version
),
{% else %}
to_measure as (
    select * from with_rules
),
{% endif %}

-- the business clock: each opening interval with the open minutes of its schedule before it ----------

business_clock as (
    select
        schedule_id,
        opens_at,
        closes_at,
        row_number() over (partition by schedule_id order by opens_at) as interval_number,
        coalesce(sum({{ minutes_between('opens_at', 'closes_at') }}) over (
            partition by schedule_id
            order by opens_at
            rows between unbounded preceding and 1 preceding
        ), 0) as minutes_before,
        sum({{ minutes_between('opens_at', 'closes_at') }}) over (
            partition by schedule_id
            order by opens_at
            rows between unbounded preceding and current row
        ) as minutes_through
    from intervals
),

schedule_totals as (
    select
        schedule_id,
        max(minutes_through) as open_minutes
    from business_clock
    group by schedule_id
),

-- the reading of the clock at a moment is found by sorting moments among interval ends: the
-- interval of a moment is the first that closes at or after it (one sort, no range join)

moments as (
    select
        post_key,
        schedule_id,
        'received' as moment,
        received_at as moment_at
    from to_measure
    union all
    select
        post_key,
        schedule_id,
        'measured_until' as moment,
        measured_until as moment_at
    from to_measure
),

moments_among_intervals as (
    select
        post_key,
        schedule_id,
        moment,
        moment_at,
        0 as is_interval_end
    from moments
    union all
    select
        null as post_key,
        schedule_id,
        null as moment,
        closes_at as moment_at,
        1 as is_interval_end
    from business_clock
),

moment_intervals as (
    select
        post_key,
        schedule_id,
        moment,
        moment_at,
        is_interval_end,
        1 + sum(is_interval_end) over (
            partition by schedule_id
            order by moment_at, is_interval_end
            rows between unbounded preceding and current row
        ) as interval_number
    from moments_among_intervals
),

clock_readings as (
    select
        moment_intervals.post_key,
        moment_intervals.moment,
        case
            -- after the last interval every open minute has passed
            when business_clock.schedule_id is null then schedule_totals.open_minutes
            else business_clock.minutes_before + {{ minutes_between(
                'business_clock.opens_at',
                'greatest(business_clock.opens_at, moment_intervals.moment_at)'
            ) }}
        end as business_minute
    from moment_intervals
    left join business_clock
        on
            moment_intervals.schedule_id = business_clock.schedule_id
            and moment_intervals.interval_number = business_clock.interval_number
    left join schedule_totals on moment_intervals.schedule_id = schedule_totals.schedule_id
    where moment_intervals.is_interval_end = 0
),

business_overlaps as (
    select
        post_key,
        max(case when moment = 'measured_until' then business_minute end)
        - max(case when moment = 'received' then business_minute end) as business_minutes,
        max(case when moment = 'received' then business_minute end) as received_business_minute
    from clock_readings
    group by post_key
),

-- business-hours SLAs fall due where the clock reads the reading at receipt plus the target:
-- inside the first interval through whose end the schedule has that many open minutes

due_readings as (
    select
        to_measure.post_key,
        to_measure.schedule_id,
        business_overlaps.received_business_minute + to_measure.sla_target_minutes as due_minute,
        0 as is_interval_end
    from to_measure
    inner join business_overlaps on to_measure.post_key = business_overlaps.post_key
    where to_measure.sla_in_business_hours
    union all
    select
        null as post_key,
        schedule_id,
        minutes_through as due_minute,
        1 as is_interval_end
    from business_clock
),

due_intervals as (
    select
        post_key,
        schedule_id,
        due_minute,
        is_interval_end,
        1 + sum(is_interval_end) over (
            partition by schedule_id
            order by due_minute, is_interval_end
            rows between unbounded preceding and current row
        ) as interval_number
    from due_readings
),

business_due as (
    select
        due_intervals.post_key,
        {{ dbt.dateadd(
            'second',
            'cast(round((due_intervals.due_minute - business_clock.minutes_before) * 60) as integer)',
            'business_clock.opens_at'
        ) }} as sla_due_at
    from due_intervals
    inner join business_clock
        on
            due_intervals.schedule_id = business_clock.schedule_id
            and due_intervals.interval_number = business_clock.interval_number
    where due_intervals.is_interval_end = 0
),

final as (
    select
        to_measure.post_key,
        to_measure.channel,
        to_measure.customer_id,
        to_measure.priority,
        to_measure.schedule_id,
        to_measure.received_at,
        to_measure.first_response_at,
        to_measure.measured_at,
        to_measure.sla_target_minutes,
        to_measure.sla_in_business_hours,
        to_measure.rules_version,
        cast({{ minutes_between('to_measure.received_at', 'to_measure.measured_until') }} as numeric(14, 2))
            as elapsed_calendar_minutes,
        cast(coalesce(business_overlaps.business_minutes, 0) as numeric(14, 2)) as elapsed_business_minutes,
        case
            when to_measure.sla_in_business_hours then business_due.sla_due_at
            else {{ dbt.dateadd('minute', 'to_measure.sla_target_minutes', 'to_measure.received_at') }}
        end as sla_due_at
    from to_measure
    left join business_overlaps on to_measure.post_key = business_overlaps.post_key
    left join business_due on to_measure.post_key = business_due.post_key
)

select * from final
