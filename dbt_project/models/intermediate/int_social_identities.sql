{#- Each social account that wrote to the brand, linked to at most one CRM customer.

    Exact match first: the X handle a customer declared in the CRM. A handle declared by more
    than one customer is ambiguous and links nobody. -#}
with

posts as (
    select * from {{ ref('int_social_posts') }}
    where not is_brand_post
),

customers as (
    select * from {{ ref('stg_crm__customers') }}
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

declared_handles as (
    select
        customer_id,
        twitter_handle,
        count(*) over (partition by twitter_handle) as customers_with_handle
    from customers
    where twitter_handle is not null
),

exact_handle_matches as (
    select
        accounts.channel,
        accounts.account_id,
        declared_handles.customer_id,
        'exact_handle' as match_method,
        1.0 as match_confidence
    from accounts
    inner join declared_handles
        on accounts.channel = 'twitter'
        and lower(accounts.handle) = declared_handles.twitter_handle
        and declared_handles.customers_with_handle = 1
),

final as (
    select
        accounts.channel || ':' || accounts.account_id as social_account_key,
        accounts.channel,
        accounts.account_id,
        accounts.handle,
        accounts.display_name,
        accounts.followers,
        accounts.post_count,
        accounts.first_seen_at,
        accounts.last_seen_at,
        matches.customer_id,
        coalesce(matches.match_method, 'unmatched') as match_method,
        cast(matches.match_confidence as numeric(4, 3)) as match_confidence
    from accounts
    left join exact_handle_matches as matches
        on matches.channel = accounts.channel
        and matches.account_id = accounts.account_id
)

select * from final
