{#- Free text with e-mail addresses and phone numbers replaced by `[email]` and `[phone]`, for
    marts that show what customers wrote: people post their own contact details, and BI users
    must not see them in clear text. A phone is at least 9 digits, optionally after +, with up to
    two separators (space, dot, dash, brackets) between digits: order numbers of up to 8 digits
    and dates stay readable. -#}
{% macro redact_contact_details(text_expression) -%}
    {{ return(adapter.dispatch('redact_contact_details')(text_expression)) }}
{%- endmacro %}

{% macro default__redact_contact_details(text_expression) -%}
    regexp_replace(
        regexp_replace({{ text_expression }}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+', '[email]', 'g'),
        '\+?[0-9]([ ().-]{0,2}[0-9]){8,}', '[phone]', 'g'
    )
{%- endmacro %}
