{#- The sentiment mart and the interaction fact count the same customer posts: per day and channel,
    the inbound posts in mart_sentiment equal the social posts in fct_interactions. Rows returned
    are the days where the two marts disagree. -#}
with

sentiment as (
    select
        activity_date,
        channel,
        sum(post_count) as posts
    from {{ ref('mart_sentiment') }}
    group by 1, 2
),

interactions as (
    select
        cast({{ dbt.date_trunc('day', 'occurred_at') }} as date) as activity_date,
        channel,
        count(*) as posts
    from {{ ref('fct_interactions') }}
    where interaction_type = 'social_post'
    group by 1, 2
)

select
    coalesce(sentiment.activity_date, interactions.activity_date) as activity_date,
    coalesce(sentiment.channel, interactions.channel) as channel,
    sentiment.posts as sentiment_posts,
    interactions.posts as interaction_posts
from sentiment
full outer join interactions
    on
        sentiment.activity_date = interactions.activity_date
        and sentiment.channel = interactions.channel
where sentiment.posts is distinct from interactions.posts
