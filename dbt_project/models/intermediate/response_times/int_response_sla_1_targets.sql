{{ config(materialized='view') }}
{#- First-response SLA, step 1: each inbound post that needs a response with the rules that apply to
    it: the customer's priority (high for value tier A), the support schedule and the SLA target of
    its channel (else the `*` defaults), the span measured (until the first response, or until the
    build's as-of time while unanswered) and a fingerprint of the four seeds the rules come from
    (an edit of any of them measures every post again). -#}
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

final as (
    select
        posts.*,
        coalesce(channel_schedule.schedule_id, default_schedule.schedule_id) as schedule_id,
        coalesce(channel_target.target_minutes, default_target.target_minutes) as sla_target_minutes,
        coalesce(channel_target.in_business_hours, default_target.in_business_hours) as sla_in_business_hours,
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
)

select * from final
