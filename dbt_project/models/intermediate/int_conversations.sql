{#- Social posts threaded per channel: which inbound post each brand post answers, and for each
    inbound post whether it needs a response and when the brand first answered it.

    "Answers" means replies directly to it: on X, twcs dumps, the forum and JSONL dumps the brand
    post's parent is the customer's post (a forum post without reply-to answers its topic's
    opening post); Facebook comment threads are only two levels deep, so a brand comment answers
    the latest customer comment before it in the same top-level thread. -#}
with

posts as (
    select * from {{ ref('int_social_posts') }}
),

threaded as (
    select
        *,
        channel || ':' || case
            when source_table = 'facebook_comments' then coalesce(parent_post_id, post_id)
            else coalesce(conversation_id, post_id)
        end as thread_key
    from posts
),

facebook_turns as (
    select
        post_key,
        thread_key,
        is_brand_post,
        sum(case when is_brand_post then 0 else 1 end) over (
            partition by thread_key
            order by created_at, post_id
            rows between unbounded preceding and current row
        ) as customer_turn
    from threaded
    where source_table = 'facebook_comments'
),

facebook_answers as (
    select
        brand.post_key as brand_post_key,
        customer.post_key as answers_post_key
    from facebook_turns as brand
    inner join facebook_turns as customer
        on
            brand.thread_key = customer.thread_key
            and brand.customer_turn = customer.customer_turn
            and not customer.is_brand_post
    where brand.is_brand_post
),

direct_answers as (
    select
        brand.post_key as brand_post_key,
        parent.post_key as answers_post_key
    from threaded as brand
    inner join threaded as parent
        on
            brand.channel = parent.channel
            and brand.parent_post_id = parent.post_id
    where
        brand.is_brand_post
        and not parent.is_brand_post
        and brand.source_table <> 'facebook_comments'
),

answers as (
    select * from facebook_answers
    union all
    select * from direct_answers
),

ranked_responses as (
    select
        answers.answers_post_key,
        brand.post_key as response_post_key,
        brand.created_at as response_at,
        row_number() over (
            partition by answers.answers_post_key
            order by brand.created_at, brand.post_id
        ) as response_rank
    from answers
    inner join threaded as brand on answers.brand_post_key = brand.post_key
    inner join threaded as inbound on answers.answers_post_key = inbound.post_key
    where
        brand.created_at >= inbound.created_at
        and not brand.is_deleted
),

first_responses as (
    select
        answers_post_key,
        response_post_key as first_response_post_key,
        response_at as first_response_at
    from ranked_responses
    where response_rank = 1
),

final as (
    select
        threaded.post_key,
        threaded.channel,
        threaded.post_id,
        threaded.thread_key,
        threaded.is_brand_post,
        case when threaded.is_brand_post then 'outbound' else 'inbound' end as direction,
        threaded.author_account_id,
        threaded.brand_account_id,
        threaded.brand_account,
        threaded.parent_post_id,
        answers.answers_post_key,
        not threaded.is_brand_post and not threaded.is_deleted as needs_response,
        threaded.created_at,
        first_responses.first_response_at,
        first_responses.first_response_post_key
    from threaded
    left join answers on threaded.post_key = answers.brand_post_key
    left join first_responses on threaded.post_key = first_responses.answers_post_key
)

select * from final
