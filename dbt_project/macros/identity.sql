{#- Helpers of identity resolution: name normalization, similarity, order references. -#}

{#- A person's name reduced to lower-case letters and single spaces, without titles or pronouns. -#}
{% macro normalize_person_name(expression) -%}
    trim(regexp_replace(
        regexp_replace(
            regexp_replace(lower(coalesce({{ expression }}, '')), '[^[:alpha:]]+', ' ', 'g'),
            '(^| )(dr|mr|mrs|ms|miss|prof|sir|she|her|he|him|they|them)( |$)', ' ', 'g'
        ),
        ' +', ' ', 'g'
    ))
{%- endmacro %}

{#- Similarity of two strings in [0, 1]. -#}
{% macro name_similarity(left, right) -%}
    {{ return(adapter.dispatch('name_similarity')(left, right)) }}
{%- endmacro %}

{% macro default__name_similarity(left, right) -%}
    similarity({{ left }}, {{ right }})
{%- endmacro %}

{#- One row per order number (`#123456`) quoted in `text_column` of `relation`: columns `key_column`, order_number. -#}
{% macro order_references(relation, key_column, text_column) -%}
    {{ return(adapter.dispatch('order_references')(relation, key_column, text_column)) }}
{%- endmacro %}

{% macro default__order_references(relation, key_column, text_column) -%}
    select
        {{ key_column }},
        cast(refs.parts[1] as bigint) as order_number
    from {{ relation }}
    cross join lateral regexp_matches({{ text_column }}, '#\s?([0-9]{5,9})\M', 'g') as refs (parts)
{%- endmacro %}

{#- True when two names are similar enough to compare further (uses a trigram index when there is one). -#}
{% macro names_similar(left, right) -%}
    {{ return(adapter.dispatch('names_similar')(left, right)) }}
{%- endmacro %}

{% macro default__names_similar(left, right) -%}
    ({{ left }} % {{ right }})
{%- endmacro %}

{#- Post-hook: a trigram index on `column` of `relation`, so fuzzy name search does not scan. -#}
{% macro create_trigram_index(relation, column) -%}
    {{ return(adapter.dispatch('create_trigram_index')(relation, column)) }}
{%- endmacro %}

{% macro default__create_trigram_index(relation, column) -%}
    create index if not exists {{ relation.identifier }}_{{ column }}_trgm
    on {{ relation }} using gin ({{ column }} gin_trgm_ops)
{%- endmacro %}
