{#- Every touchpoint on every channel: social posts, brand replies, support tickets and orders,
    with the customer when known, so no channel is forgotten when looking at a customer. -#}
with

conversations as (
    select * from {{ ref('int_conversations') }}
),

posts as (
    select * from {{ ref('int_social_posts') }}
),

identities as (
    select * from {{ ref('int_social_identities') }}
),

tickets as (
    select * from {{ ref('stg_crm__support_tickets') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

social as (
    select
        'social:' || posts.post_key as interaction_id,
        coalesce(author_identity.customer_id, answered_identity.customer_id) as customer_id,
        posts.channel,
        case when posts.is_brand_post then 'brand_reply' else 'social_post' end as interaction_type,
        conversations.direction,
        posts.created_at as occurred_at,
        posts.brand_account,
        posts.post_id as source_id,
        posts.sentiment_score,
        posts.sentiment_label,
        posts.intent
    from posts
    inner join conversations on posts.post_key = conversations.post_key
    left join identities as author_identity
        on
            posts.channel = author_identity.channel
            and posts.author_account_id = author_identity.account_id
    left join posts as answered on conversations.answers_post_key = answered.post_key
    left join identities as answered_identity
        on
            answered.channel = answered_identity.channel
            and answered.author_account_id = answered_identity.account_id
    where not posts.is_deleted
),

support as (
    select
        'ticket:' || cast(ticket_id as text) as interaction_id,
        customer_id,
        channel,
        'support_ticket' as interaction_type,
        'inbound' as direction,
        opened_at as occurred_at,
        cast(null as text) as brand_account,
        cast(ticket_id as text) as source_id,
        cast(null as double precision) as sentiment_score,
        cast(null as text) as sentiment_label,
        cast(null as text) as intent
    from tickets
),

purchases as (
    select
        'order:' || cast(order_id as text) as interaction_id,
        customer_id,
        'store' as channel,
        'order' as interaction_type,
        'inbound' as direction,
        ordered_at as occurred_at,
        cast(null as text) as brand_account,
        cast(order_id as text) as source_id,
        cast(null as double precision) as sentiment_score,
        cast(null as text) as sentiment_label,
        cast(null as text) as intent
    from orders
),

final as (
    select * from social
    union all
    select * from support
    union all
    select * from purchases
)

select * from final
