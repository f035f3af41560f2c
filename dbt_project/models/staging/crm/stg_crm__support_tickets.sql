with

source as (
    {{ latest_version(source('crm', 'crm_support_tickets')) }}
),

renamed as (
    select
        cast(native_id as bigint) as ticket_id,
        cast(payload ->> 'customer_id' as bigint) as customer_id,
        payload ->> 'channel' as channel,
        payload ->> 'subject' as subject,
        payload ->> 'status' as status,
        coalesce(payload ->> 'status', '') <> 'closed' as is_open,
        payload ->> 'priority' as priority,
        cast(payload ->> 'opened_at' as timestamp with time zone) as opened_at,
        cast(payload ->> 'closed_at' as timestamp with time zone) as closed_at,
        cast(payload ->> 'updated_at' as timestamp with time zone) as updated_at
    from source
    where not is_deleted
)

select * from renamed
