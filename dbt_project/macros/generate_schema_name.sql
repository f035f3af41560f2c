{#- Custom schemas are used as given (staging, intermediate, marts_candidate), not prefixed with the
    target schema: the publisher and the BI grants address those schemas by name.
    With var `published_state` (the state `social360 dbt` defers to), a model published by its
    yml (`meta: {publish: true}`) lives where the publisher put it: the published schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if var('published_state', false) and node.resource_type == 'model'
        and (node.config.meta or {}).get('publish') -%}
        {{ var('published_schema', 'marts') }}
    {%- elif custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
