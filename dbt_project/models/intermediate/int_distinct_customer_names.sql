{{ config(
    indexes=[{'columns': ['normalized_name gin_trgm_ops'], 'type': 'gin'}]
) }}
{#- Each distinct normalized customer name and how many customers carry it, trigram-indexed, so
    identity matching compares each pair of names once however many people share them. -#}
with

customer_names as (
    select * from {{ ref('int_customer_names') }}
),

final as (
    select
        normalized_name,
        count(*) as customer_count
    from customer_names
    where normalized_name <> ''
    group by normalized_name
)

select * from final
