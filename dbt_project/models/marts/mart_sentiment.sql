{#- What customers feel, by day, channel, brand account and customer segment: inbound posts only. -#}
with

posts as (
    select * from {{ ref('int_social_posts') }}
    where not is_brand_post and not is_deleted
),

identities as (
    select * from {{ ref('int_social_identities') }}
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

classified as (
    select
        cast({{ dbt.date_trunc('day', 'posts.created_at') }} as date) as activity_date,
        posts.channel,
        posts.brand_account,
        coalesce(customers.segment, 'unknown') as customer_segment,
        posts.sentiment_score,
        posts.sentiment_label,
        posts.intent
    from posts
    left join identities
        on
            posts.channel = identities.channel
            and posts.author_account_id = identities.account_id
    left join customers on identities.customer_id = customers.customer_id
),

aggregated as (
    select
        activity_date,
        channel,
        brand_account,
        customer_segment,
        count(*) as post_count,
        count(sentiment_score) as scored_post_count,
        sum(case when sentiment_label = 'positive' then 1 else 0 end) as positive_count,
        sum(case when sentiment_label = 'neutral' then 1 else 0 end) as neutral_count,
        sum(case when sentiment_label = 'negative' then 1 else 0 end) as negative_count,
        sum(case when intent = 'complaint' then 1 else 0 end) as complaint_count,
        sum(case when intent = 'question' then 1 else 0 end) as question_count,
        sum(case when intent = 'praise' then 1 else 0 end) as praise_count,
        avg(sentiment_score) as avg_sentiment_score
    from classified
    group by activity_date, channel, brand_account, customer_segment
),

final as (
    select
        {{ surrogate_key(['activity_date', 'channel', 'brand_account', 'customer_segment']) }} as sentiment_key,
        activity_date,
        channel,
        brand_account,
        customer_segment,
        post_count,
        scored_post_count,
        positive_count,
        neutral_count,
        negative_count,
        complaint_count,
        question_count,
        praise_count,
        cast(avg_sentiment_score as numeric(6, 4)) as avg_sentiment_score,
        cast(
            case
                when scored_post_count > 0
                    then (positive_count - negative_count) * 1.0 / scored_post_count
            end
            as numeric(6, 4)
        ) as net_sentiment,
        cast(
            case when scored_post_count > 0 then negative_count * 1.0 / scored_post_count end
            as numeric(6, 4)
        ) as negative_share
    from aggregated
)

select * from final
