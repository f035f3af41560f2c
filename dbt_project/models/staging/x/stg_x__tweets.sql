{{ config(
    materialized='incremental',
    unique_key='tweet_id',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
with

source as (
    {{ latest_version(
        source('x', 'x_tweets'),
        partition_by=x_original_id(),
        then_by="length(native_id) desc, native_id desc",
        needs=['post_url']
    ) }}
),

renamed as (
    select
        -- ids
        {{ x_original_id() }} as tweet_id,
        native_id as latest_version_id,
        payload ->> 'author_id' as author_id,
        context ->> 'brand_user_id' as brand_account_id,
        payload ->> 'conversation_id' as conversation_id,
        (
            select referenced.tweet ->> 'id'
            from
                jsonb_array_elements({{ x_referenced_posts('source.payload') }})
                with ordinality as referenced (tweet, position)
            where referenced.tweet ->> 'type' = 'replied_to'
            order by referenced.position
            limit 1
        ) as in_reply_to_tweet_id,

        -- author and brand
        context #>> '{author,username}' as author_username,
        context #>> '{author,name}' as author_name,
        {{ dbt.safe_cast(
            "context #>> '{author,public_metrics,followers_count}'",
            api.Column.translate_type("bigint")
        ) }} as author_followers,
        context ->> 'brand_username' as brand_account,

        -- content
        {{ x_full_text() }} as tweet_text,
        'https://x.com/' || coalesce(context #>> '{author,username}', 'i/web') || '/status/' || {{ x_original_id() }}
            as post_url,
        payload ->> 'lang' as lang,

        -- timestamps
        cast(payload ->> 'created_at' as timestamp with time zone) as created_at,
        extracted_at,

        -- metadata
        payload_hash,
        is_deleted
    from source
)

select * from renamed
