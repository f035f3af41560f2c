{% macro in_changed_threads(relation, thread_expression, native_id_column, source_table) -%}
{#- True for rows of `relation` (staging) in a thread with a row extracted, or a score written,
    since the incremental model's watermark. Needs the `watermark` and `rescored` CTEs of the
    caller. -#}
    {{ thread_expression }} in (
        select {{ thread_expression }}
        from {{ relation }}
        where
            extracted_at > (select watermark.changed_after from watermark)
            or {{ native_id_column }} in (
                select rescored.native_id from rescored where rescored.source_table = '{{ source_table }}'
            )
    )
{%- endmacro %}
