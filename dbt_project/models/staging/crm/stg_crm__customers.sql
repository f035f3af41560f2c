with

source as (
    {{ latest_version(source('crm', 'crm_customers')) }}
),

renamed as (
    select
        cast(native_id as bigint) as customer_id,
        payload ->> 'first_name' as first_name,
        payload ->> 'last_name' as last_name,
        trim(concat(payload ->> 'first_name', ' ', payload ->> 'last_name')) as full_name,
        lower(trim(payload ->> 'email')) as email,
        payload ->> 'phone' as phone,
        payload ->> 'segment' as segment,
        payload ->> 'country' as country,
        nullif(lower(ltrim(trim(payload ->> 'twitter_handle'), '@')), '') as twitter_handle,
        cast(payload ->> 'created_at' as timestamp with time zone) as created_at,
        cast(payload ->> 'updated_at' as timestamp with time zone) as updated_at,
        extracted_at
    from source
    where not is_deleted
)

select * from renamed
