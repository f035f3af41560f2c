{{ config(
    materialized='incremental',
    unique_key='post_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{#- Forum posts (latest version per post id), typed. A post is the brand's when its author is
    one of the configured brand usernames, or staff when the forum's staff speak for the brand. -#}
with

source as (
    {{ latest_version(source('discourse', 'discourse_posts'), needs=['post_url']) }}
),

renamed as (
    select
        -- ids
        native_id as post_id,
        {{ dbt.safe_cast("payload ->> 'topic_id'", api.Column.translate_type("bigint")) }} as topic_id,
        {{ dbt.safe_cast("payload ->> 'post_number'", api.Column.translate_type("integer")) }} as post_number,
        {{ dbt.safe_cast("payload ->> 'reply_to_post_number'", api.Column.translate_type("integer")) }}
            as reply_to_post_number,
        payload ->> 'user_id' as user_id,

        -- author and forum
        payload ->> 'username' as username,
        payload ->> 'name' as author_name,
        coalesce(cast(payload ->> 'staff' as boolean), false) as is_staff,
        (
            coalesce((context -> 'brand_usernames') ? lower(payload ->> 'username'), false)
            or (
                coalesce(cast(context ->> 'staff_is_brand' as boolean), true)
                and coalesce(cast(payload ->> 'staff' as boolean), false)
            )
        ) as is_brand_post,
        context ->> 'forum' as forum,
        payload ->> 'topic_title' as topic_title,

        -- content
        coalesce(payload ->> 'raw', regexp_replace(payload ->> 'cooked', '<[^>]+>', '', 'g')) as post_text,
        {{ dbt.safe_cast("payload ->> 'version'", api.Column.translate_type("integer")) }} as post_version,
        -- the post's URL as the API gives it (absolute, or relative to the forum), else its topic URL
        case
            when payload ->> 'post_url' ~ '^https?://' then payload ->> 'post_url'
            when payload ->> 'post_url' like '/%' then rtrim(context ->> 'base_url', '/') || (payload ->> 'post_url')
            else
                rtrim(context ->> 'base_url', '/') || '/t/' || (payload ->> 'topic_id')
                || '/' || (payload ->> 'post_number')
        end as post_url,

        -- timestamps
        cast(payload ->> 'created_at' as timestamp with time zone) as created_at,
        cast(payload ->> 'updated_at' as timestamp with time zone) as updated_at,
        extracted_at,

        -- metadata
        payload_hash,
        is_deleted
    from source
)

select * from renamed
