{{ config(
    materialized='incremental',
    unique_key='interaction_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{#- Every touchpoint on every channel before customers are attached: social posts and brand
    replies, support tickets, orders. Incremental: social rows that int_social_posts rebuilt since
    this model last ran, tickets and orders changed since then (minus a lookback); deleted posts stay
    as rows flagged `is_deleted` so that a deletion replaces the row it deletes. -#}
{%- set incremental = is_incremental_with(['source_kind', 'source_changed_at', 'post_url']) %}
with

posts as (
    select * from {{ ref('int_social_posts') }}
),

-- the posts again, for the author a reply answers: one CTE read twice would be materialized whole
-- (every column of every post) before the incremental filter applies
answered_posts as (
    select * from {{ ref('int_social_posts') }}
),

conversations as (
    select * from {{ ref('int_conversations') }}
),

tickets as (
    select * from {{ ref('stg_crm__support_tickets') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

{% if incremental %}
watermarks as (
    select
        coalesce(
            max(case when source_kind = 'social' then source_changed_at end),
            cast('1970-01-01' as timestamp with time zone)
        ) as social_after,
        coalesce(
            max(case when source_kind = 'crm' then source_changed_at end),
            cast('1970-01-01' as timestamp with time zone)
        ) - interval '{{ var("incremental_lookback_minutes", 60) }} minutes' as crm_after
    from {{ this }}
),
{% endif %}

social as (
    select
        'social:' || posts.post_key as interaction_id,
        'social' as source_kind,
        posts.channel,
        case when posts.is_brand_post then 'brand_reply' else 'social_post' end as interaction_type,
        conversations.direction,
        posts.created_at as occurred_at,
        posts.brand_account,
        posts.post_id as source_id,
        posts.sentiment_score,
        posts.sentiment_label,
        posts.intent,
        posts.post_text,
        posts.post_url,
        posts.author_account_id,
        answered.author_account_id as answered_account_id,
        cast(null as bigint) as crm_customer_id,
        posts.is_deleted,
        posts.built_at as source_changed_at
    from posts
    inner join conversations on posts.post_key = conversations.post_key
    left join answered_posts as answered on conversations.answers_post_key = answered.post_key
    {% if incremental %}
    where posts.built_at > (select watermarks.social_after from watermarks)
    {% endif %}
),

support as (
    select
        'ticket:' || cast(tickets.ticket_id as text) as interaction_id,
        'crm' as source_kind,
        tickets.channel,
        'support_ticket' as interaction_type,
        'inbound' as direction,
        tickets.opened_at as occurred_at,
        cast(null as text) as brand_account,
        cast(tickets.ticket_id as text) as source_id,
        cast(null as double precision) as sentiment_score,
        cast(null as text) as sentiment_label,
        cast(null as text) as intent,
        cast(null as text) as post_text,
        cast(null as text) as post_url,
        cast(null as text) as author_account_id,
        cast(null as text) as answered_account_id,
        tickets.customer_id as crm_customer_id,
        false as is_deleted,
        tickets.updated_at as source_changed_at
    from tickets
    {% if incremental %}
    where tickets.updated_at > (select watermarks.crm_after from watermarks)
    {% endif %}
),

purchases as (
    select
        'order:' || cast(orders.order_id as text) as interaction_id,
        'crm' as source_kind,
        'store' as channel,
        'order' as interaction_type,
        'inbound' as direction,
        orders.ordered_at as occurred_at,
        cast(null as text) as brand_account,
        cast(orders.order_id as text) as source_id,
        cast(null as double precision) as sentiment_score,
        cast(null as text) as sentiment_label,
        cast(null as text) as intent,
        cast(null as text) as post_text,
        cast(null as text) as post_url,
        cast(null as text) as author_account_id,
        cast(null as text) as answered_account_id,
        orders.customer_id as crm_customer_id,
        false as is_deleted,
        orders.updated_at as source_changed_at
    from orders
    {% if incremental %}
    where orders.updated_at > (select watermarks.crm_after from watermarks)
    {% endif %}
),

final as (
    select * from social
    union all
    select * from support
    union all
    select * from purchases
)

select * from final
