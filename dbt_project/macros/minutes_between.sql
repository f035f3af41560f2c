{#- Minutes (fractional) from `start_at` to `end_at`. -#}
{% macro minutes_between(start_at, end_at) -%}
    ({{ dbt.datediff(start_at, end_at, 'second') }} / 60.0)
{%- endmacro %}
