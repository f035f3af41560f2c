{{ config(materialized='view') }}
{#- Facebook page comments in the shape every channel's posts share (see int_social_posts); the
    page post a comment belongs to is its thread. -#}
with

comments as (
    select * from {{ ref('stg_facebook__comments') }}
)

select
    'facebook' as channel,
    comments.comment_id as post_id,
    comments.author_id as author_account_id,
    cast(null as text) as author_handle,
    comments.author_name,
    cast(null as bigint) as author_followers,
    comments.page_id as brand_account_id,
    comments.page_name as brand_account,
    comments.author_id = comments.page_id as is_brand_post,
    comments.parent_comment_id as parent_post_id,
    comments.post_id as conversation_id,
    comments.created_at,
    comments.message as post_text,
    comments.post_url,
    comments.is_deleted,
    'facebook_comments' as source_table,
    comments.comment_id as source_native_id,
    comments.payload_hash,
    comments.extracted_at,
    coalesce(comments.post_id, comments.comment_id) as thread_key
from comments
