{{ config(materialized='view') }}
{#- Identity resolution, step 2 (rule 1, exact_handle): the X handle a customer declared in the CRM,
    when no other customer declared it (confidence 1.0). -#}
with

accounts as (
    select * from {{ ref('int_identity_1_accounts') }}
),

customer_names as (
    select * from {{ ref('int_customer_names') }}
),

declared_handles as (
    select
        customer_id,
        twitter_handle,
        count(*) over (partition by twitter_handle) as customers_with_handle
    from customer_names
    where twitter_handle is not null
),

final as (
    select
        accounts.channel,
        accounts.account_id,
        declared_handles.customer_id,
        'exact_handle' as match_method,
        1.0 as match_confidence,
        1 as rule_rank
    from accounts
    inner join declared_handles
        on
            accounts.channel = 'twitter'
            and lower(accounts.handle) = declared_handles.twitter_handle
            and declared_handles.customers_with_handle = 1
)

select * from final
