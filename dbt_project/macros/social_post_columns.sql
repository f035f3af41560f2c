{#- The columns every source's `stg_<source>__social_posts` model provides, in the order
    int_social_posts unions them. `thread_key` is the conversation a post belongs to as its staging
    table knows it (what an incremental run rebuilds whole); `source_table` and `source_native_id`
    name the raw row its sentiment and intent were scored on. -#}
{% macro social_post_columns() -%}
    channel,
    post_id,
    author_account_id,
    author_handle,
    author_name,
    author_followers,
    brand_account_id,
    brand_account,
    is_brand_post,
    parent_post_id,
    conversation_id,
    created_at,
    post_text,
    post_url,
    is_deleted,
    source_table,
    source_native_id,
    payload_hash,
    extracted_at
{%- endmacro %}
