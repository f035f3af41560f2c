{#- CRM customers' names in the normalized form identity matching compares. -#}
with

customers as (
    select * from {{ ref('stg_crm__customers') }}
),

final as (
    select
        customer_id,
        twitter_handle,
        {{ normalize_person_name('first_name') }} as first_name,
        {{ normalize_person_name('last_name') }} as last_name,
        {{ normalize_person_name("concat(first_name, ' ', last_name)") }} as normalized_name,
        {{ normalize_person_name('first_name') }} || ' ' || left({{ normalize_person_name('last_name') }}, 1)
            as first_name_initial,
        regexp_replace(
            {{ normalize_person_name('first_name') }} || {{ normalize_person_name('last_name') }}, '[^a-z]+', '', 'g'
        ) as full_name_letters,
        regexp_replace(split_part(coalesce(email, ''), '@', 1), '[^a-z]+', '', 'g') as email_letters
    from customers
)

select * from final
