{{ config(
    indexes=[{'columns': ['normalized_name gin_trgm_ops'], 'type': 'gin'}]
) }}
{#- Each distinct customer name (normalized, with the parts identity matching compares) and how
    many customers carry it, trigram-indexed, so identity matching compares each pair of names
    once however many people share them. -#}
with

customer_names as (
    select * from {{ ref('int_customer_names') }}
),

final as (
    select
        first_name,
        last_name,
        normalized_name,
        first_name_initial,
        full_name_letters,
        count(*) as customer_count
    from customer_names
    where normalized_name <> ''
    group by first_name, last_name, normalized_name, first_name_initial, full_name_letters
)

select * from final
