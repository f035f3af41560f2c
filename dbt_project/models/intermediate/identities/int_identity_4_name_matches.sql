{{ config(
    pre_hook=["{{ set_name_similarity_threshold(0.6) }}", "{{ prefer_index_scans() }}"]
) }}
{#- Identity resolution, step 4 (rule 3, fuzzy_name): the profile name matches the customer's name
    (pg_trgm similarity after normalization and nickname expansion, first name + last initial, or a
    first name whose handle spells the full name), clearly better than the runner-up (a margin of
    0.1), and on X the handle agrees or the name is near exact.

    Decided between distinct customer names: namesakes always tie, so a name carried by several
    customers is one candidate that can never win, however many customers carry it. The pre-hooks
    raise pg_trgm's threshold to 0.6, below which no pair can win or block a link (>= 0.75 with a
    0.1 margin), and keep the planner on the trigram index instead of comparing every pair. -#}
with

accounts as (
    select * from {{ ref('int_identity_1_accounts') }}
),

customer_names as (
    select * from {{ ref('int_customer_names') }}
),

customer_name_set as (
    select * from {{ ref('int_distinct_customer_names') }}
),

distinct_account_names as (
    select distinct normalized_name
    from accounts
    where normalized_name <> ''
),

similar_names as (
    -- each pair of similar names once, through the trigram index ...
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

candidates as (
    select
        accounts.channel,
        accounts.account_id,
        similar_names.first_name,
        similar_names.last_name
    from accounts
    inner join similar_names on accounts.normalized_name = similar_names.account_name
    union
    -- a first name alone, with a handle that spells the full name ("Abigail", @AbigailMitchell)
    select
        accounts.channel,
        accounts.account_id,
        customer_name_set.first_name,
        customer_name_set.last_name
    from accounts
    inner join customer_name_set
        on
            accounts.normalized_name = customer_name_set.first_name
            and length(customer_name_set.last_name) >= 3
            and position(customer_name_set.full_name_letters in accounts.handle_letters) > 0
),

name_scores as (
    select
        candidates.channel,
        candidates.account_id,
        customer_name_set.first_name,
        customer_name_set.last_name,
        customer_name_set.customer_count,
        {{ identity_name_score('accounts', 'customer_name_set') }} as name_score
    from candidates
    inner join accounts
        on
            candidates.channel = accounts.channel
            and candidates.account_id = accounts.account_id
    inner join customer_name_set
        on
            candidates.first_name = customer_name_set.first_name
            and candidates.last_name = customer_name_set.last_name
),

ranked as (
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

final as (
    select
        ranked.channel,
        ranked.account_id,
        customer_names.customer_id,
        'fuzzy_name' as match_method,
        least(0.9, ranked.name_score) as match_confidence,
        3 as rule_rank
    from ranked
    inner join accounts
        on
            ranked.channel = accounts.channel
            and ranked.account_id = accounts.account_id
    inner join customer_names
        on
            ranked.first_name = customer_names.first_name
            and ranked.last_name = customer_names.last_name
    where
        ranked.account_rank = 1
        and ranked.customer_count = 1
        and ranked.name_score >= 0.75
        and ranked.name_score - coalesce(ranked.next_score, 0) >= 0.1
        and (
            {{ identity_handle_agrees('accounts', 'customer_names') }}
            or ranked.name_score >= 0.9
            or ranked.channel <> 'twitter'
        )
)

select * from final
