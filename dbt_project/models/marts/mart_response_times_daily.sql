{#- Daily first-response performance per channel and brand account: volume, p50/p90 first response
    in calendar and business minutes, and SLA breach rate. -#}
with

responses as (
    select * from {{ ref('mart_response_times') }}
),

daily as (
    select
        cast({{ dbt.date_trunc('day', 'received_at') }} as date) as received_date,
        channel,
        brand_account,
        count(*) as inbound_count,
        sum(case when is_answered then 1 else 0 end) as answered_count,
        sum(case when is_sla_breached then 1 else 0 end) as breached_count,
        {{ percentile('first_response_calendar_minutes', 0.5) }} as p50_first_response_minutes,
        {{ percentile('first_response_calendar_minutes', 0.9) }} as p90_first_response_minutes,
        {{ percentile('first_response_business_minutes', 0.5) }} as p50_first_response_business_minutes,
        {{ percentile('first_response_business_minutes', 0.9) }} as p90_first_response_business_minutes
    from responses
    group by 1, 2, 3
),

final as (
    select
        {{ surrogate_key(['received_date', 'channel', 'brand_account']) }} as response_day_key,
        received_date,
        channel,
        brand_account,
        inbound_count,
        answered_count,
        inbound_count - answered_count as unanswered_count,
        breached_count,
        cast(breached_count * 1.0 / inbound_count as numeric(6, 4)) as sla_breach_rate,
        cast(p50_first_response_minutes as numeric(14, 2)) as p50_first_response_minutes,
        cast(p90_first_response_minutes as numeric(14, 2)) as p90_first_response_minutes,
        cast(p50_first_response_business_minutes as numeric(14, 2)) as p50_first_response_business_minutes,
        cast(p90_first_response_business_minutes as numeric(14, 2)) as p90_first_response_business_minutes
    from daily
)

select * from final
