{#- X payload fields under both spellings: the v2 names (`edit_history_tweet_ids`, `referenced_tweets`,
    `note_tweet`) and the 2026 OpenAPI names (`edit_history_post_ids`, `referenced_posts`,
    `note_post`). The extractor's re-hydration query (extractors/x_api.py EDIT_CHAIN_SQL) and
    enrichment (the X source's text_of, extractors/x/__init__.py) read them the same way. -#}

{#- An edit chain's original id: the first id of its edit history, else the post's own id. -#}
{% macro x_original_id(payload='payload', native_id='native_id') -%}
    coalesce(
        {{ payload }} -> 'edit_history_tweet_ids' ->> 0,
        {{ payload }} -> 'edit_history_post_ids' ->> 0,
        {{ native_id }}
    )
{%- endmacro %}

{#- The posts this one references (`[{"type": ..., "id": ...}]`), an empty array when none. -#}
{% macro x_referenced_posts(payload='payload') -%}
    coalesce({{ payload }} -> 'referenced_tweets', {{ payload }} -> 'referenced_posts', cast('[]' as jsonb))
{%- endmacro %}

{#- The full text: a long post's note text, else its text. -#}
{% macro x_full_text(payload='payload') -%}
    coalesce({{ payload }} #>> '{note_tweet,text}', {{ payload }} #>> '{note_post,text}', {{ payload }} ->> 'text')
{%- endmacro %}
