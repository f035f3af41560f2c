{#- The daily response-time rollup agrees with the per-post mart it rolls up: for each day, channel
    and brand account, the same inbound, answered and breached counts and the same median first
    response. Rows returned are the days where the two marts disagree. -#}
with

posts as (
    select
        cast({{ dbt.date_trunc('day', 'received_at') }} as date) as received_date,
        channel,
        coalesce(brand_account, '') as brand_account,
        count(*) as inbound_count,
        sum(case when is_answered then 1 else 0 end) as answered_count,
        sum(case when is_sla_breached then 1 else 0 end) as breached_count,
        cast({{ percentile('first_response_calendar_minutes', 0.5) }} as numeric(14, 2)) as p50_minutes
    from {{ ref('mart_response_times') }}
    group by 1, 2, 3
),

daily as (
    select
        received_date,
        channel,
        coalesce(brand_account, '') as brand_account,
        inbound_count,
        answered_count,
        breached_count,
        p50_first_response_minutes as p50_minutes
    from {{ ref('mart_response_times_daily') }}
)

select
    coalesce(posts.received_date, daily.received_date) as received_date,
    coalesce(posts.channel, daily.channel) as channel,
    coalesce(posts.brand_account, daily.brand_account) as brand_account,
    posts.inbound_count as posts_inbound,
    daily.inbound_count as daily_inbound,
    posts.p50_minutes as posts_p50,
    daily.p50_minutes as daily_p50
from posts
full outer join daily
    on
        posts.received_date = daily.received_date
        and posts.channel = daily.channel
        and posts.brand_account = daily.brand_account
where
    posts.received_date is null
    or daily.received_date is null
    or posts.inbound_count <> daily.inbound_count
    or posts.answered_count <> daily.answered_count
    or posts.breached_count <> daily.breached_count
    or posts.p50_minutes is distinct from daily.p50_minutes
