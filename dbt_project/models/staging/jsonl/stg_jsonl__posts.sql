{{ config(
    materialized='incremental',
    unique_key='jsonl_post_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{#- Posts of imported JSON-lines dumps (the last imported version per channel and id), typed. -#}
with

source as (
    {{ latest_version(source('jsonl', 'jsonl_posts'), by_landing=true, needs=['post_url']) }}
),

renamed as (
    select
        -- ids
        native_id as jsonl_post_key,
        context ->> 'channel' as channel,
        payload ->> 'id' as post_id,
        payload ->> 'author_id' as author_id,
        payload ->> 'in_reply_to_id' as in_reply_to_id,
        payload ->> 'thread_id' as thread_id,

        -- author and brand
        payload ->> 'author_handle' as author_handle,
        payload ->> 'author_name' as author_name,
        {{ dbt.safe_cast("payload ->> 'author_followers'", api.Column.translate_type("bigint")) }} as author_followers,
        cast(payload ->> 'is_brand' as boolean) as is_brand_post,
        payload ->> 'brand_account' as brand_account,

        -- content
        payload ->> 'text' as post_text,
        payload ->> 'url' as post_url,
        payload ->> 'lang' as lang,

        -- timestamps
        cast(payload ->> 'created_at' as timestamp with time zone) as created_at,
        cast(payload ->> 'updated_at' as timestamp with time zone) as updated_at,
        extracted_at,

        -- metadata
        context ->> 'source_file' as source_file,
        payload_hash,
        is_deleted
    from source
)

select * from renamed
