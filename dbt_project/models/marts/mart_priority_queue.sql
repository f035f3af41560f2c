{#- Unanswered inbound posts, ranked so agents answer the customers who matter first: the
    customer's value, their influence and the post's negativity, with overdue posts pushed up.

    priority_score = 0.40 x value (customer's lifetime-value percentile)
                   + 0.25 x influence (log10 of followers, capped at 1 million)
                   + 0.25 x negativity ((1 - sentiment) / 2)
                   + 0.10 if the SLA is already breached -#}
with

responses as (
    select * from {{ ref('mart_response_times') }}
    where not is_answered
),

posts as (
    select * from {{ ref('int_social_posts') }}
),

customer_value as (
    select
        *,
        percent_rank() over (order by lifetime_value) as value_percentile
    from {{ ref('int_customer_value') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

scored as (
    select
        responses.post_key,
        responses.post_id,
        responses.channel,
        responses.brand_account,
        responses.customer_id,
        customers.full_name as customer_name,
        customer_value.value_tier,
        customer_value.lifetime_value,
        coalesce(posts.author_followers, 0) as followers,
        posts.author_handle,
        {{ redact_contact_details('posts.post_text') }} as post_text,
        posts.sentiment_score,
        posts.intent,
        responses.received_at,
        responses.sla_due_at,
        responses.is_sla_breached,
        cast({{ minutes_between('responses.received_at', 'responses.measured_at') }} as numeric(14, 2))
            as waiting_minutes,
        responses.measured_at,
        0.40 * coalesce(customer_value.value_percentile, 0)
        + 0.25 * least(log(coalesce(posts.author_followers, 0) + 1) / 6.0, 1.0)
        + 0.25 * (1 - coalesce(posts.sentiment_score, 0)) / 2.0
        + case when responses.is_sla_breached then 0.10 else 0 end as priority_score
    from responses
    inner join posts on responses.post_key = posts.post_key
    left join customer_value on responses.customer_id = customer_value.customer_id
    left join customers on responses.customer_id = customers.customer_id
),

final as (
    select
        row_number() over (order by priority_score desc, received_at asc, post_key asc) as queue_rank,
        post_key,
        post_id,
        channel,
        brand_account,
        customer_id,
        customer_name,
        value_tier,
        lifetime_value,
        followers,
        author_handle,
        post_text,
        sentiment_score,
        intent,
        received_at,
        sla_due_at,
        is_sla_breached,
        waiting_minutes,
        cast(priority_score as numeric(6, 4)) as priority_score,
        measured_at
    from scored
)

select * from final
