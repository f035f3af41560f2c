{#- Tweets from imported twcs dumps (the last imported version of each tweet id), typed, with the root of the
    thread each belongs to. twcs has no conversation id: the root is found by climbing
    `in_response_to_tweet_id` through the tweets we hold; a parent missing from the dumps
    becomes the root, so tweets answering the same missing tweet share a thread. -#}
with recursive

source as (
    {{ latest_version(source('twcs', 'twcs_tweets'), by_landing=true) }}
),

renamed as (
    select
        -- ids
        native_id as tweet_id,
        context #>> '{parsed,author_id}' as author_id,
        context #>> '{parsed,in_response_to_tweet_id}' as in_reply_to_tweet_id,
        (
            select string_agg(replies.reply_id, ',' order by replies.reply_id)
            from jsonb_array_elements_text(
                coalesce(source.context #> '{parsed,response_tweet_ids}', cast('[]' as jsonb))
            ) as replies (reply_id)
        ) as response_tweet_ids,

        -- flags
        cast(context #>> '{parsed,inbound}' as boolean) as is_inbound,
        not cast(context #>> '{parsed,inbound}' as boolean) as is_brand_post,

        -- content
        payload ->> 'text' as tweet_text,

        -- timestamps
        cast(context #>> '{parsed,created_at}' as timestamp with time zone) as created_at,
        extracted_at,

        -- metadata
        context ->> 'source_file' as source_file,
        payload_hash,
        is_deleted
    from source
),

ancestry (tweet_id, ancestor_id, next_id, hops) as (
    select
        tweet_id,
        tweet_id as ancestor_id,
        in_reply_to_tweet_id as next_id,
        0 as hops
    from renamed
    union all
    select
        ancestry.tweet_id,
        ancestry.next_id as ancestor_id,
        parent.in_reply_to_tweet_id as next_id,
        ancestry.hops + 1 as hops
    from ancestry
    left join renamed as parent
        on ancestry.next_id = parent.tweet_id
    where
        ancestry.next_id is not null
        and ancestry.hops < 500
),

roots as (
    select
        tweet_id,
        ancestor_id as conversation_id,
        row_number() over (partition by tweet_id order by hops desc) as root_rank
    from ancestry
),

final as (
    select
        renamed.tweet_id,
        renamed.author_id,
        case when renamed.is_brand_post then renamed.author_id end as author_handle,
        renamed.in_reply_to_tweet_id,
        renamed.response_tweet_ids,
        roots.conversation_id,
        renamed.is_inbound,
        renamed.is_brand_post,
        renamed.tweet_text,
        renamed.created_at,
        renamed.extracted_at,
        renamed.source_file,
        renamed.payload_hash,
        renamed.is_deleted
    from renamed
    inner join roots
        on
            renamed.tweet_id = roots.tweet_id
            and roots.root_rank = 1
)

select * from final
