{#- The window of believable post timestamps (extractors/timestamps.py, the same environment
    variables and defaults): from SOCIAL360_TIMESTAMP_MIN to the build's as-of time plus
    SOCIAL360_TIMESTAMP_MAX_AHEAD. Rows outside it were rejected at import and extraction; rows
    landed before that rule must not stretch calendars built from the posts. -#}
{% macro timestamp_window_start() -%}
    cast('{{ env_var('SOCIAL360_TIMESTAMP_MIN', '2006-01-01T00:00:00+00:00') }}' as timestamp with time zone)
{%- endmacro %}

{% macro timestamp_window_end() -%}
    ({{ as_of() }} + interval '{{ env_var('SOCIAL360_TIMESTAMP_MAX_AHEAD', '1 day') }}')
{%- endmacro %}
