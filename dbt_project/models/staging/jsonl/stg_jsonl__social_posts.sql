{{ config(materialized='view') }}
{#- Posts of JSON-lines dumps in the shape every channel's posts share (see int_social_posts); the
    channel is the one the dump was imported as. -#}
with

posts as (
    select * from {{ ref('stg_jsonl__posts') }}
)

select
    posts.channel,
    posts.post_id,
    posts.author_id as author_account_id,
    posts.author_handle,
    posts.author_name,
    posts.author_followers,
    posts.brand_account as brand_account_id,
    posts.brand_account,
    posts.is_brand_post,
    posts.in_reply_to_id as parent_post_id,
    posts.thread_id as conversation_id,
    posts.created_at,
    posts.post_text,
    posts.post_url,
    posts.is_deleted,
    'jsonl_posts' as source_table,
    posts.jsonl_post_key as source_native_id,
    posts.payload_hash,
    posts.extracted_at,
    coalesce(posts.thread_id, posts.post_id) as thread_key
from posts
