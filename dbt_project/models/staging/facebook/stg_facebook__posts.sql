{{ config(
    materialized='incremental',
    unique_key='post_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
with

source as (
    {{ latest_version(source('facebook', 'facebook_posts')) }}
),

renamed as (
    select
        native_id as post_id,
        coalesce(context ->> 'page_id', payload #>> '{from,id}') as page_id,
        coalesce(context ->> 'page_name', payload #>> '{from,name}') as page_name,
        payload ->> 'message' as message,
        {{ parse_graph_time("payload ->> 'created_time'") }} as created_at,
        {{ parse_graph_time("payload ->> 'updated_time'") }} as updated_at,
        payload_hash,
        is_deleted,
        extracted_at
    from source
)

select * from renamed
