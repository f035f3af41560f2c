{{ config(materialized='view') }}
{#- Identity resolution, step 3 (rule 2, order_reference): the account's posts quote order numbers
    of exactly one customer, and its profile name or handle agrees with that customer (0.95). -#}
with

posts as (
    select * from {{ ref('int_social_posts') }}
    where not is_brand_post
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

accounts as (
    select * from {{ ref('int_identity_1_accounts') }}
),

customer_names as (
    select * from {{ ref('int_customer_names') }}
),

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

final as (
    select
        order_evidence.channel,
        order_evidence.account_id,
        order_evidence.customer_id,
        'order_reference' as match_method,
        0.95 as match_confidence,
        2 as rule_rank
    from order_evidence
    inner join accounts
        on
            order_evidence.channel = accounts.channel
            and order_evidence.account_id = accounts.account_id
    inner join customer_names on order_evidence.customer_id = customer_names.customer_id
    where
        order_evidence.customers_quoted = 1
        and (
            {{ identity_name_score('accounts', 'customer_names') }} >= 0.5
            or {{ identity_handle_agrees('accounts', 'customer_names') }}
        )
)

select * from final
