{#- Identity resolution, step 1: every social account that wrote to the brand, with its names in
    the form the matching compares (lower-case letters of the handle; the profile name normalized
    and its first name's nickname expanded: "liv smith" compares as "olivia smith"). -#}
with

posts as (
    select * from {{ ref('int_social_posts') }}
    where not is_brand_post
),

nicknames as (
    select * from {{ ref('first_name_nicknames') }}
),

accounts as (
    select
        channel,
        author_account_id as account_id,
        max(author_handle) as handle,
        max(author_name) as display_name,
        max(author_followers) as followers,
        count(*) as post_count,
        min(created_at) as first_seen_at,
        max(created_at) as last_seen_at
    from posts
    group by channel, author_account_id
),

profiles as (
    select
        *,
        regexp_replace(lower(coalesce(handle, '')), '[^a-z]+', '', 'g') as handle_letters,
        {{ normalize_person_name('display_name') }} as profile_name
    from accounts
),

final as (
    select
        profiles.channel,
        profiles.account_id,
        profiles.handle,
        profiles.display_name,
        profiles.followers,
        profiles.post_count,
        profiles.first_seen_at,
        profiles.last_seen_at,
        profiles.handle_letters,
        trim(concat(
            coalesce(nicknames.first_name, split_part(profiles.profile_name, ' ', 1)),
            ' ',
            substr(profiles.profile_name, length(split_part(profiles.profile_name, ' ', 1)) + 2)
        )) as normalized_name
    from profiles
    left join nicknames on split_part(profiles.profile_name, ' ', 1) = nicknames.nickname
)

select * from final
