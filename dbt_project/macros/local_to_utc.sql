{#- A wall-clock timestamp in an IANA time zone, as an absolute time (daylight saving applied). -#}
{% macro local_to_utc(local_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('local_to_utc')(local_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__local_to_utc(local_timestamp, time_zone) -%}
    ({{ local_timestamp }} at time zone {{ time_zone }})
{%- endmacro %}
