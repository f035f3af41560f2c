{#- The customer 360: CRM profile, value, orders, tickets, linked social accounts, sentiment and
    the last interaction on any channel. No e-mail or phone in clear text. -#}
with

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

customer_value as (
    select * from {{ ref('int_customer_value') }}
),

tickets as (
    select * from {{ ref('stg_crm__support_tickets') }}
),

identities as (
    select * from {{ ref('int_social_identities') }}
    where customer_id is not null
),

posts as (
    select * from {{ ref('int_social_posts') }}
    where not is_brand_post and not is_deleted
),

ticket_totals as (
    select
        customer_id,
        count(*) as ticket_count,
        sum(case when is_open then 1 else 0 end) as open_ticket_count,
        max(opened_at) as last_ticket_at
    from tickets
    group by customer_id
),

social_accounts as (
    select
        customer_id,
        max(case when channel = 'twitter' then handle end) as twitter_handle,
        max(case when channel = 'facebook' then account_id end) as facebook_account_id,
        max(case when channel = 'forum' then coalesce(handle, account_id) end) as forum_username,
        {{ dbt.listagg('distinct channel', "', '", "order by channel") }} as linked_channels,
        count(*) as social_account_count,
        coalesce(sum(followers), 0) as followers
    from identities
    group by customer_id
),

customer_posts as (
    select
        identities.customer_id,
        count(*) as social_post_count,
        avg(case when posts.created_at >= {{ as_of() }} - interval '30 days' then posts.sentiment_score end)
            as sentiment_30d,
        avg(case
            when
                posts.created_at >= {{ as_of() }} - interval '60 days'
                and posts.created_at < {{ as_of() }} - interval '30 days'
                then posts.sentiment_score
        end) as sentiment_prior_30d,
        avg(case when posts.created_at >= {{ as_of() }} - interval '90 days' then posts.sentiment_score end)
            as sentiment_90d,
        sum(case when posts.intent = 'complaint' then 1 else 0 end) as complaint_count,
        max(posts.created_at) as last_social_post_at
    from posts
    inner join identities
        on
            posts.channel = identities.channel
            and posts.author_account_id = identities.account_id
    group by identities.customer_id
),

final as (
    select
        customers.customer_id,
        customers.full_name,
        {{ pii_hash('customers.email') }} as email_hash,
        customers.segment,
        customers.country,
        customers.created_at as customer_since,
        customer_value.lifetime_value,
        customer_value.order_count,
        customer_value.first_order_at,
        customer_value.last_order_at,
        coalesce(ticket_totals.ticket_count, 0) as ticket_count,
        coalesce(ticket_totals.open_ticket_count, 0) as open_ticket_count,
        social_accounts.twitter_handle,
        social_accounts.facebook_account_id,
        social_accounts.forum_username,
        social_accounts.linked_channels,
        coalesce(social_accounts.social_account_count, 0) as social_account_count,
        cast(coalesce(social_accounts.followers, 0) as bigint) as followers,
        coalesce(customer_posts.social_post_count, 0) as social_post_count,
        coalesce(customer_posts.complaint_count, 0) as complaint_count,
        cast(customer_posts.sentiment_30d as numeric(6, 4)) as sentiment_30d,
        cast(customer_posts.sentiment_90d as numeric(6, 4)) as sentiment_90d,
        cast(customer_posts.sentiment_30d - customer_posts.sentiment_prior_30d as numeric(6, 4)) as sentiment_trend,
        case
            when customer_posts.sentiment_30d is null or customer_posts.sentiment_prior_30d is null then 'unknown'
            when customer_posts.sentiment_30d - customer_posts.sentiment_prior_30d >= 0.15 then 'improving'
            when customer_posts.sentiment_30d - customer_posts.sentiment_prior_30d <= -0.15 then 'worsening'
            else 'stable'
        end as sentiment_trend_label,
        greatest(customer_value.last_order_at, ticket_totals.last_ticket_at, customer_posts.last_social_post_at)
            as last_interaction_at,
        customer_value.value_tier,
        case
            when coalesce(social_accounts.followers, 0) >= 10000 then 'high'
            when coalesce(social_accounts.followers, 0) >= 1000 then 'medium'
            else 'low'
        end as influence_tier,
        -- value x influence: the top 20% by value are A; an influential customer moves up one tier
        case
            when customer_value.value_tier = 'A' then 'A'
            when customer_value.value_tier = 'B' and coalesce(social_accounts.followers, 0) >= 10000 then 'A'
            when customer_value.value_tier = 'B' then 'B'
            when coalesce(social_accounts.followers, 0) >= 10000 then 'B'
            else 'C'
        end as priority_tier
    from customers
    inner join customer_value on customers.customer_id = customer_value.customer_id
    left join ticket_totals on customers.customer_id = ticket_totals.customer_id
    left join social_accounts on customers.customer_id = social_accounts.customer_id
    left join customer_posts on customers.customer_id = customer_posts.customer_id
)

select * from final
