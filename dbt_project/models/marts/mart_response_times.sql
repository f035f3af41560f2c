{#- One row per inbound post that needs a response: when it came in, when the brand first
    answered it directly, how long that took and whether the SLA was met. -#}
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

sla_targets as (
    select * from {{ ref('sla_targets') }}
),

measured as (
    select
        conversations.post_key,
        conversations.post_id,
        conversations.channel,
        conversations.brand_account,
        identities.customer_id,
        case when customer_value.value_tier = 'A' then 'high' else 'normal' end as priority,
        conversations.created_at as received_at,
        conversations.first_response_at,
        conversations.first_response_post_key
    from conversations
    left join identities
        on identities.channel = conversations.channel
        and identities.account_id = conversations.author_account_id
    left join customer_value on customer_value.customer_id = identities.customer_id
),

final as (
    select
        measured.post_key,
        measured.post_id,
        measured.channel,
        measured.brand_account,
        measured.customer_id,
        measured.priority,
        measured.received_at,
        measured.first_response_at,
        cast(
            {{ dbt.datediff('measured.received_at', 'measured.first_response_at', 'second') }} / 60.0
            as numeric(12, 2)
        ) as first_response_calendar_minutes,
        sla_targets.target_minutes as sla_target_minutes,
        coalesce(measured.first_response_at, {{ as_of() }})
            > measured.received_at + sla_targets.target_minutes * interval '1 minute' as is_sla_breached,
        measured.first_response_at is not null as is_answered,
        {{ as_of() }} as measured_at
    from measured
    left join sla_targets
        on sla_targets.channel = measured.channel
        and sla_targets.priority = measured.priority
)

select * from final
