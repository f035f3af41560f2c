with

source as (
    {{ latest_version(source('crm', 'crm_orders')) }}
),

renamed as (
    select
        cast(native_id as bigint) as order_id,
        cast(payload ->> 'customer_id' as bigint) as customer_id,
        cast(payload ->> 'ordered_at' as timestamp with time zone) as ordered_at,
        cast(payload ->> 'amount' as numeric(12, 2)) as amount,
        payload ->> 'status' as status,
        coalesce(payload ->> 'status', '') not in ('cancelled', 'refunded') as is_revenue,
        cast(payload ->> 'updated_at' as timestamp with time zone) as updated_at
    from source
    where not is_deleted
)

select * from renamed
