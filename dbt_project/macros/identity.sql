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

{#- Pre-hook: the similarity above which `names_similar` holds, for this model's transaction only. -#}
{% macro set_name_similarity_threshold(threshold) -%}
    {{ return(adapter.dispatch('set_name_similarity_threshold')(threshold)) }}
{%- endmacro %}

{% macro default__set_name_similarity_threshold(threshold) -%}
    set local pg_trgm.similarity_threshold = {{ threshold }}
{%- endmacro %}

{#- Pre-hook: within this model's transaction, read tables through an index wherever there is one.
    The planner does not know how costly a trigram comparison is and may otherwise compare every
    account name with every customer name (minutes at 100,000 customers instead of a second). -#}
{% macro prefer_index_scans() -%}
    {{ return(adapter.dispatch('prefer_index_scans')()) }}
{%- endmacro %}

{% macro default__prefer_index_scans() -%}
    set local enable_seqscan = off
{%- endmacro %}

{#- How well an account's profile name fits a customer's name, in [0, 1]: the trigram similarity
    of the normalized names, 0.8 for "First L.", 0.85 for a first name whose handle spells the full
    name. `account` has normalized_name and handle_letters; `customer` has normalized_name,
    first_name, last_name, first_name_initial and full_name_letters. -#}
{% macro identity_name_score(account, customer) -%}
    greatest(
        {{ name_similarity(account ~ '.normalized_name', customer ~ '.normalized_name') }},
        case when {{ account }}.normalized_name = {{ customer }}.first_name_initial then 0.8 else 0 end,
        case
            when
                split_part({{ account }}.normalized_name, ' ', 1) = {{ customer }}.first_name
                and length({{ customer }}.last_name) >= 3
                and position({{ customer }}.full_name_letters in {{ account }}.handle_letters) > 0
                then 0.85
            else 0
        end
    )
{%- endmacro %}

{#- True when an account's handle agrees with a customer: it holds the last name and the first
    initial, or it is the local part of the customer's e-mail. -#}
{% macro identity_handle_agrees(account, customer) -%}
    (
        {{ account }}.handle_letters <> ''
        and (
            (
                length({{ customer }}.last_name) >= 3
                and position({{ customer }}.last_name in {{ account }}.handle_letters) > 0
                and position(left({{ customer }}.first_name, 1) in {{ account }}.handle_letters) > 0
            )
            or (
                length({{ customer }}.email_letters) >= 5
                and {{ account }}.handle_letters = {{ customer }}.email_letters
            )
        )
    )
{%- endmacro %}
