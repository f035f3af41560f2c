{% macro changed_threads(relation, thread_expression, native_id_column, source_table) -%}
{#- The threads of `relation` (staging) with a row extracted, or a score written, since the
    incremental model's watermark. Needs the `watermark` and `rescored` CTEs of the caller. -#}
    select {{ thread_expression }}
    from {{ relation }}
    where
        extracted_at > (select watermark.changed_after from watermark)
        or {{ native_id_column }} in (
            select rescored.native_id from rescored where rescored.source_table = '{{ source_table }}'
        )
{%- endmacro %}
