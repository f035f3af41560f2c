{{ config(
    pre_hook=["{{ set_name_similarity_threshold(0.6) }}", "{{ prefer_index_scans() }}"]
) }}
{#- Each social account that wrote to the brand, linked to at most one CRM customer, with the
    method and confidence of the link. Rules, strongest first:

    1. exact_handle     the X handle the customer declared in the CRM (confidence 1.0);
    2. order_reference  the account's posts quote order numbers of exactly one customer, and its
                        profile name or handle agrees with that customer (0.95);
    3. fuzzy_name       the profile name matches the customer's name (pg_trgm similarity after
                        normalization and nickname expansion, first name + last initial, or a
                        first name whose handle spells the full name), the match is clearly better
                        than the runner-up, and on X the handle agrees or the name is near exact.

    A customer is linked to at most one account per channel and an account to at most one
    customer; a tie links nobody. -#}
with

posts as (
    select * from {{ ref('int_social_posts') }}
    where not is_brand_post
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
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

-- names on both sides in one comparable form ------------------------------------------------

account_profiles as (
    select
        channel,
        account_id,
        handle,
        regexp_replace(lower(coalesce(handle, '')), '[^a-z]+', '', 'g') as handle_letters,
        {{ normalize_person_name('display_name') }} as profile_name
    from accounts
),

account_names as (
    -- nicknames expanded: "liv smith" compares as "olivia smith"
    select
        account_profiles.channel,
        account_profiles.account_id,
        account_profiles.handle,
        account_profiles.handle_letters,
        trim(concat(
            coalesce(nicknames.first_name, split_part(account_profiles.profile_name, ' ', 1)),
            ' ',
            substr(account_profiles.profile_name, length(split_part(account_profiles.profile_name, ' ', 1)) + 2)
        )) as normalized_name
    from account_profiles
    left join nicknames on split_part(account_profiles.profile_name, ' ', 1) = nicknames.nickname
),

customer_names as (
    select * from {{ ref('int_customer_names') }}
),

-- rule 1: declared handles ---------------------------------------------------------------------

declared_handles as (
    select
        customer_id,
        twitter_handle,
        count(*) over (partition by twitter_handle) as customers_with_handle
    from customer_names
    where twitter_handle is not null
),

exact_matches as (
    select
        account_names.channel,
        account_names.account_id,
        declared_handles.customer_id,
        'exact_handle' as match_method,
        1.0 as match_confidence,
        1 as rule_rank
    from account_names
    inner join declared_handles
        on
            account_names.channel = 'twitter'
            and lower(account_names.handle) = declared_handles.twitter_handle
            and declared_handles.customers_with_handle = 1
),

-- evidence for rules 2 and 3 ---------------------------------------------------------------------

quoted_orders as (
    {{ order_references('posts', 'channel, author_account_id', 'post_text') }}
),

order_evidence as (
    select
        quoted_orders.channel,
        quoted_orders.author_account_id as account_id,
        min(orders.customer_id) as customer_id,
        count(distinct orders.customer_id) as customers_quoted
    from quoted_orders
    inner join orders on quoted_orders.order_number = orders.order_id
    group by quoted_orders.channel, quoted_orders.author_account_id
),

distinct_account_names as (
    select distinct normalized_name
    from account_names
    where normalized_name <> ''
),

customer_name_set as (
    select * from {{ ref('int_distinct_customer_names') }}
),

-- rule 3 is decided between distinct customer names: namesakes always tie, so a name carried by
-- several customers is one candidate that can never win, however many customers carry it

similar_names as (
    -- each pair of similar names once, through the trigram index (the pre-hooks raise pg_trgm's
    -- threshold to 0.6, below which no pair can win or block a fuzzy link (>= 0.75 with a 0.1
    -- margin), and keep the planner from comparing every pair of names in a loop instead) ...
    select
        distinct_account_names.normalized_name as account_name,
        customer_name_set.first_name,
        customer_name_set.last_name
    from distinct_account_names
    -- the model itself, not the CTE: a CTE read several times is materialized without its index
    inner join {{ ref('int_distinct_customer_names') }} as customer_name_set
        on {{ names_similar('distinct_account_names.normalized_name', 'customer_name_set.normalized_name') }}
    union
    -- ... and "Olivia S." style profile names: full first name and the last name's initial
    select
        distinct_account_names.normalized_name as account_name,
        customer_name_set.first_name,
        customer_name_set.last_name
    from distinct_account_names
    inner join customer_name_set on distinct_account_names.normalized_name = customer_name_set.first_name_initial
),

account_name_matches as (
    select
        account_names.channel,
        account_names.account_id,
        similar_names.first_name,
        similar_names.last_name
    from account_names
    inner join similar_names on account_names.normalized_name = similar_names.account_name
    union
    -- a first name alone, with a handle that spells the full name ("Abigail", @AbigailMitchell)
    select
        account_names.channel,
        account_names.account_id,
        customer_name_set.first_name,
        customer_name_set.last_name
    from account_names
    inner join customer_name_set
        on
            account_names.normalized_name = customer_name_set.first_name
            and length(customer_name_set.last_name) >= 3
            and position(customer_name_set.full_name_letters in account_names.handle_letters) > 0
),

name_scores as (
    select
        account_name_matches.channel,
        account_name_matches.account_id,
        customer_name_set.first_name,
        customer_name_set.last_name,
        customer_name_set.customer_count,
        {{ identity_name_score('account_names', 'customer_name_set') }} as name_score
    from account_name_matches
    inner join account_names
        on
            account_name_matches.channel = account_names.channel
            and account_name_matches.account_id = account_names.account_id
    inner join customer_name_set
        on
            account_name_matches.first_name = customer_name_set.first_name
            and account_name_matches.last_name = customer_name_set.last_name
),

ranked_names as (
    select
        *,
        row_number() over (
            partition by channel, account_id order by name_score desc, first_name asc, last_name asc
        ) as account_rank,
        lead(name_score) over (
            partition by channel, account_id order by name_score desc, first_name asc, last_name asc
        ) as next_score
    from name_scores
),

fuzzy_matches as (
    select
        ranked_names.channel,
        ranked_names.account_id,
        customer_names.customer_id,
        'fuzzy_name' as match_method,
        least(0.9, ranked_names.name_score) as match_confidence,
        3 as rule_rank
    from ranked_names
    inner join account_names
        on
            ranked_names.channel = account_names.channel
            and ranked_names.account_id = account_names.account_id
    inner join customer_names
        on
            ranked_names.first_name = customer_names.first_name
            and ranked_names.last_name = customer_names.last_name
    where
        ranked_names.account_rank = 1
        and ranked_names.customer_count = 1
        and ranked_names.name_score >= 0.75
        and ranked_names.name_score - coalesce(ranked_names.next_score, 0) >= 0.1
        and (
            {{ identity_handle_agrees('account_names', 'customer_names') }}
            or ranked_names.name_score >= 0.9
            or ranked_names.channel <> 'twitter'
        )
),

-- rule 2: the one customer whose order numbers the account quotes, if name or handle agrees ------

order_matches as (
    select
        order_evidence.channel,
        order_evidence.account_id,
        order_evidence.customer_id,
        'order_reference' as match_method,
        0.95 as match_confidence,
        2 as rule_rank
    from order_evidence
    inner join account_names
        on
            order_evidence.channel = account_names.channel
            and order_evidence.account_id = account_names.account_id
    inner join customer_names on order_evidence.customer_id = customer_names.customer_id
    where
        order_evidence.customers_quoted = 1
        and (
            {{ identity_name_score('account_names', 'customer_names') }} >= 0.5
            or {{ identity_handle_agrees('account_names', 'customer_names') }}
        )
),

-- one customer per account, one account per customer and channel ---------------------------------

all_matches as (
    select * from exact_matches
    union all
    select * from order_matches
    union all
    select * from fuzzy_matches
),

best_for_account as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by channel, account_id order by rule_rank asc, match_confidence desc, customer_id asc
            ) as pick
        from all_matches
    ) as ranked
    where pick = 1
),

contested as (
    select
        *,
        min(rule_rank) over (partition by channel, customer_id) as best_rule,
        count(*) over (partition by channel, customer_id, rule_rank) as claims_at_rule
    from best_for_account
),

links as (
    select
        channel,
        account_id,
        customer_id,
        match_method,
        match_confidence
    from contested
    where
        rule_rank = best_rule
        and claims_at_rule = 1
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
        links.customer_id,
        coalesce(links.match_method, 'unmatched') as match_method,
        cast(coalesce(links.match_confidence, 0) as numeric(4, 3)) as match_confidence
    from accounts
    left join links
        on
            accounts.channel = links.channel
            and accounts.account_id = links.account_id
)

select * from final
