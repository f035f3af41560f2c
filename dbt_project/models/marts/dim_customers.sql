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
        avg(case when posts.created_at >= {{ as_of() }} - interval '90 days' then posts.sentiment_score end)
            as sentiment_90d,
        max(posts.created_at) as last_social_post_at
    from posts
    inner join identities
        on identities.channel = posts.channel
        and identities.account_id = posts.author_account_id
    group by identities.customer_id
),

final as (
    select
        customers.customer_id,
        customers.full_name,
        md5(customers.email) as email_hash,
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
        coalesce(social_accounts.social_account_count, 0) as social_account_count,
        coalesce(social_accounts.followers, 0) as followers,
        coalesce(customer_posts.social_post_count, 0) as social_post_count,
        cast(customer_posts.sentiment_30d as numeric(6, 4)) as sentiment_30d,
        cast(customer_posts.sentiment_90d as numeric(6, 4)) as sentiment_90d,
        greatest(customer_value.last_order_at, ticket_totals.last_ticket_at, customer_posts.last_social_post_at)
            as last_interaction_at,
        customer_value.value_tier as priority_tier
    from customers
    inner join customer_value on customer_value.customer_id = customers.customer_id
    left join ticket_totals on ticket_totals.customer_id = customers.customer_id
    left join social_accounts on social_accounts.customer_id = customers.customer_id
    left join customer_posts on customer_posts.customer_id = customers.customer_id
)

select * from final
