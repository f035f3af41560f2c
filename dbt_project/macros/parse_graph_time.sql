{#- Graph API times look like 2024-01-01T12:00:00+0000 (offset without a colon). -#}
{% macro parse_graph_time(expression) -%}
    {{ return(adapter.dispatch('parse_graph_time')(expression)) }}
{%- endmacro %}

{% macro default__parse_graph_time(expression) -%}
    cast(regexp_replace({{ expression }}, '([+-][0-9]{2})([0-9]{2})$', '\1:\2') as timestamp with time zone)
{%- endmacro %}
