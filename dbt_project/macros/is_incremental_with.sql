{#- is_incremental(), and the model's existing table has every column in `columns`.

    An incremental branch that reads a column a newer version of the model added would fail on a
    table built by the older version: the model is then built whole (delete+insert replaces every
    key, on_schema_change adds the columns), with no --full-refresh needed after an upgrade. -#}
{% macro is_incremental_with(columns) %}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for column in columns if column | lower not in existing -%}
        {{ log(this ~ " lacks " ~ column ~ ": building it whole", info=true) }}
        {{ return(false) }}
    {%- endfor -%}
    {{ return(true) }}
{% endmacro %}
