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
{#- First-response SLA, step 3: per inbound post that needs a response, the calendar and business
    minutes until the first response (or until the build's as-of time while unanswered) and when
    the SLA falls due: for a business-hours target, where the business clock (step 2) reads its
    reading at receipt plus the target.

    Incremental: a row is measured again when anything it is computed from differs from what it
    was computed from (its customer, priority, receipt, first response, or the schedules and
    targets, fingerprinted in rules_version), and on every run while unanswered (it is measured
    against the build's as-of time). Rows of posts that no longer need a response are deleted by
    the post-hook. -#}
{%- set incremental = is_incremental_with(['rules_version']) %}
with

targets as (
    select * from {{ ref('int_response_sla_1_targets') }}
),

clock as (
    select * from {{ ref('int_support_business_clock') }}
),

{% if incremental %}
to_measure as (
    select targets.*
    from targets
    left join {{ this }} as previous on targets.post_key = previous.post_key
    where
        previous.post_key is null
        or targets.first_response_at is null
        or previous.first_response_at is distinct from targets.first_response_at
        or previous.received_at is distinct from targets.received_at
        or previous.customer_id is distinct from targets.customer_id
        or previous.priority is distinct from targets.priority
        or previous.rules_version is distinct from targets.rules_version
),
{% else %}
to_measure as (
    select * from targets
),
{% endif %}

moments as (
    select
        post_key as moment_key,
        schedule_id,
        'received' as moment,
        received_at as moment_at
    from to_measure
    union all
    select
        post_key as moment_key,
        schedule_id,
        'measured_until' as moment,
        measured_until as moment_at
    from to_measure
),

clock_readings as (
    {{ business_clock_readings('moments', 'clock') }}
),

business_minutes as (
    select
        moment_key as post_key,
        max(case when moment = 'measured_until' then business_minute end)
        - max(case when moment = 'received' then business_minute end) as business_minutes,
        max(case when moment = 'received' then business_minute end) as received_business_minute
    from clock_readings
    group by moment_key
),

due_minutes as (
    select
        to_measure.post_key as moment_key,
        to_measure.schedule_id,
        business_minutes.received_business_minute + to_measure.sla_target_minutes as due_minute
    from to_measure
    inner join business_minutes on to_measure.post_key = business_minutes.post_key
    where to_measure.sla_in_business_hours
),

business_due as (
    {{ business_clock_moments('due_minutes', 'clock') }}
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
        cast(coalesce(business_minutes.business_minutes, 0) as numeric(14, 2)) as elapsed_business_minutes,
        case
            when to_measure.sla_in_business_hours then business_due.due_at
            else {{ dbt.dateadd('minute', 'to_measure.sla_target_minutes', 'to_measure.received_at') }}
        end as sla_due_at
    from to_measure
    left join business_minutes on to_measure.post_key = business_minutes.post_key
    left join business_due on to_measure.post_key = business_due.moment_key
)

select * from final
