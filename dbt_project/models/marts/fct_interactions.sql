{#- Every touchpoint on every channel: social posts, brand replies, support tickets and orders,
    with the customer when known, so no channel is forgotten when looking at a customer. A brand
    reply belongs to the customer whose post it answers. Customers are attached here, not in the
    incremental int_interactions, because identity links can change for old posts. -#}
with

interactions as (
    select * from {{ ref('int_interactions') }}
    where not is_deleted
),

identities as (
    select * from {{ ref('int_social_identities') }}
),

final as (
    select
        interactions.interaction_id,
        coalesce(interactions.crm_customer_id, authors.customer_id, answered.customer_id) as customer_id,
        interactions.channel,
        interactions.interaction_type,
        interactions.direction,
        interactions.occurred_at,
        interactions.brand_account,
        interactions.source_id,
        interactions.sentiment_score,
        interactions.sentiment_label,
        interactions.intent,
        {{ redact_contact_details('interactions.post_text') }} as post_text,
        interactions.post_url
    from interactions
    left join identities as authors
        on
            interactions.channel = authors.channel
            and interactions.author_account_id = authors.account_id
    left join identities as answered
        on
            interactions.channel = answered.channel
            and interactions.answered_account_id = answered.account_id
)

select * from final
