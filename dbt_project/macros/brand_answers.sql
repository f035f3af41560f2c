{#- Which inbound post each brand post answers, among the posts of `posts` (columns post_key,
    channel, post_id, parent_post_id, thread_key, source_table, is_brand_post, created_at): rows of
    brand_post_key, answers_post_key.

    On X, twcs dumps, the forum and JSONL dumps a brand post answers its parent when the parent is
    a customer's post (a forum post without reply-to answers its topic's opening post, which
    staging made its parent). Facebook comment threads are only two levels deep, so a brand comment
    answers the latest customer comment before it in the same top-level thread (its turn). -#}
{% macro brand_answers(posts) -%}
    with

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
        from {{ posts }}
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
        from {{ posts }} as brand
        inner join {{ posts }} as parent
            on
                brand.channel = parent.channel
                and brand.parent_post_id = parent.post_id
        where
            brand.is_brand_post
            and not parent.is_brand_post
            and brand.source_table <> 'facebook_comments'
    )

    select * from facebook_answers
    union all
    select * from direct_answers
{%- endmacro %}
