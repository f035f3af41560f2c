{#- Post-hook: refresh the planner's statistics of a table just (re)built, so the next models
    plan with its real size instead of waiting for autovacuum (a bulk rebuild leaves them stale,
    and a stale plan can cost minutes). -#}
{% macro analyze_relation(relation) -%}
    {{ return(adapter.dispatch('analyze_relation')(relation)) }}
{%- endmacro %}

{% macro default__analyze_relation(relation) -%}
    analyze {{ relation }}
{%- endmacro %}
