{#- Free text with e-mail addresses and phone numbers replaced by `[email]` and `[phone]`, for
    marts that show what customers wrote: people post their own contact details, and BI users
    must not see them in clear text. The rule (docs/QUALITY.md, "Personal data") and these two
    patterns are social360/core/contact_details.py's EMAIL and PHONE, character for character (a test
    holds them equal and runs both over the same generated contacts):
    - e-mail: name@domain.tld and its obfuscated forms (name at domain dot com, name [at] domain
      [dot] com, name(at)domain.com), any case;
    - phone: a run of 7+ digits with separators of any length between digits (spaces, tabs, dots,
      dashes, slashes, brackets, +); a date (2024-05-01, 01/05/2024) or a time (10:30) ends a run, so dates, times,
      prices and order refs under 7 digits stay readable. -#}
{% macro redact_contact_details(text_expression) -%}
    {{ return(adapter.dispatch('redact_contact_details')(text_expression)) }}
{%- endmacro %}

{% macro default__redact_contact_details(text_expression) -%}
    regexp_replace(
        regexp_replace({{ text_expression }}, '{{ contact_email_pattern() }}', '[email]', 'gi'),
        '{{ contact_phone_pattern() }}', '[phone]', 'g'
    )
{%- endmacro %}

{% macro contact_email_pattern() -%}
(?<![a-z0-9._%+-])[a-z0-9._%+-]+(?:(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)[a-z0-9._%+-]+)*(?:\s*@\s*|\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)[a-z0-9-]+(?:(?:\.|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)[a-z0-9-]+)*(?:\.|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)[a-z][a-z]+(?![a-z0-9@]|\.[a-z0-9])
{%- endmacro %}

{% macro contact_phone_pattern() -%}
(?<![0-9])(?<![0-9][-/.])[+(]*(?!(?:(?:19|20)[0-9][0-9][-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])|(?:0?[1-9]|[12][0-9]|3[01])[-/.](?:0?[1-9]|[12][0-9]|3[01])[-/.](?:19|20)[0-9][0-9]|(?:[01]?[0-9]|2[0-3]):[0-5][0-9])(?![0-9]))[0-9](?:[0-9]|[ \t.()/+\-–—]+(?!(?:(?:19|20)[0-9][0-9][-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])|(?:0?[1-9]|[12][0-9]|3[01])[-/.](?:0?[1-9]|[12][0-9]|3[01])[-/.](?:19|20)[0-9][0-9]|(?:[01]?[0-9]|2[0-3]):[0-5][0-9])(?![0-9]))[0-9]){6,}
{%- endmacro %}
