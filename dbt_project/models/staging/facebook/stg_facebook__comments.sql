{{ config(
    materialized='incremental',
    unique_key='comment_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
with

source as (
    {{ latest_version(source('facebook', 'facebook_comments'), needs=['post_url']) }}
),

renamed as (
    select
        -- ids
        native_id as comment_id,
        context ->> 'post_id' as post_id,
        payload #>> '{parent,id}' as parent_comment_id,
        context ->> 'page_id' as page_id,
        payload #>> '{from,id}' as author_id,

        -- names and content
        context ->> 'page_name' as page_name,
        payload #>> '{from,name}' as author_name,
        payload ->> 'message' as message,
        coalesce(payload ->> 'permalink_url', 'https://www.facebook.com/' || native_id) as post_url,

        -- timestamps
        {{ parse_graph_time("payload ->> 'created_time'") }} as created_at,
        extracted_at,

        -- metadata
        payload_hash,
        is_deleted
    from source
)

select * from renamed
