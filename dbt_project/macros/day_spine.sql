{#- One row per calendar day from `start_date` to `end_date` (SQL date expressions), column `spine_date`. -#}
{% macro day_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('day_spine')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__day_spine(start_date, end_date) -%}
    select cast(day_value as date) as spine_date
    from generate_series(
        cast({{ start_date }} as timestamp),
        cast({{ end_date }} as timestamp),
        interval '1 day'
    ) as days (day_value)
{%- endmacro %}
