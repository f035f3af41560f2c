{#- Custom schemas are used as given (staging, intermediate, marts_candidate), not prefixed with the
    target schema: the publisher and the BI grants address those schemas by name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
