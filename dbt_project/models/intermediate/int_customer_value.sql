{#- Per CRM customer: orders, lifetime value and its Pareto tier (top 20% by value = A). -#}
with

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

orders as (
    select * from {{ ref('stg_crm__orders') }}
),

order_totals as (
    select
        customer_id,
        count(*) as order_count,
        sum(case when is_revenue then amount else 0 end) as lifetime_value,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from orders
    group by customer_id
),

valued as (
    select
        customers.customer_id,
        customers.segment,
        coalesce(order_totals.order_count, 0) as order_count,
        cast(coalesce(order_totals.lifetime_value, 0) as numeric(14, 2)) as lifetime_value,
        order_totals.first_order_at,
        order_totals.last_order_at,
        cume_dist() over (order by coalesce(order_totals.lifetime_value, 0) desc) as value_cume_share
    from customers
    left join order_totals on customers.customer_id = order_totals.customer_id
),

final as (
    select
        *,
        case
            when value_cume_share <= 0.2 then 'A'
            when value_cume_share <= 0.5 then 'B'
            else 'C'
        end as value_tier
    from valued
)

select * from final
