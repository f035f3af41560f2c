{{ config(materialized='view') }}
{#- Discourse posts in the shape every channel's posts share (see int_social_posts). A post answers
    the post it replies to, else its topic's opening post; the opening post is the thread root. -#}
with

posts as (
    select * from {{ ref('stg_discourse__posts') }}
),

openers as (
    select
        topic_id,
        post_id as opener_post_id
    from posts
    where post_number = 1
)

select
    'forum' as channel,
    posts.post_id,
    coalesce(posts.user_id, posts.username) as author_account_id,
    posts.username as author_handle,
    posts.author_name,
    cast(null as bigint) as author_followers,
    posts.forum as brand_account_id,
    posts.forum as brand_account,
    posts.is_brand_post,
    case
        when posts.post_number > 1 then coalesce(replied.post_id, openers.opener_post_id)
    end as parent_post_id,
    coalesce(openers.opener_post_id, 'topic-' || cast(posts.topic_id as text)) as conversation_id,
    posts.created_at,
    posts.post_text,
    posts.post_url,
    posts.is_deleted,
    'discourse_posts' as source_table,
    posts.post_id as source_native_id,
    posts.payload_hash,
    posts.extracted_at,
    cast(posts.topic_id as text) as thread_key
from posts
left join posts as replied
    on
        posts.topic_id = replied.topic_id
        and posts.reply_to_post_number = replied.post_number
left join openers on posts.topic_id = openers.topic_id
