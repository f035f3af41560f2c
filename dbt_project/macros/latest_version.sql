{#- The latest landed version of each object in a raw table: one row per `partition_by`. -#}
{% macro latest_version(relation, partition_by='native_id') %}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ partition_by }}
                order by source_updated_at desc nulls last, loaded_seq desc
            ) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{% endmacro %}
