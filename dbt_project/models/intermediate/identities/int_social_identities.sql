{#- Identity resolution, step 5: each social account that wrote to the brand, linked to at most one
    CRM customer, with the method and confidence of the link. The rules of steps 2 to 4, strongest
    first: exact_handle (1.0), order_reference (0.95), fuzzy_name (up to 0.9). A customer is linked
    to at most one account per channel and an account to at most one customer; a tie links nobody.
    Thresholds and their reasons: dbt_project/DECISIONLOG.md. -#}
with

accounts as (
    select * from {{ ref('int_identity_1_accounts') }}
),

all_matches as (
    select * from {{ ref('int_identity_2_handle_matches') }}
    union all
    select * from {{ ref('int_identity_3_order_matches') }}
    union all
    select * from {{ ref('int_identity_4_name_matches') }}
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
