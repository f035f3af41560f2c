{{ config(
    materialized='incremental',
    unique_key='post_key',
    incremental_strategy='delete+insert',
    on_schema_change='sync_all_columns',
) }}
{#- Every social post on every channel in one shape, with its sentiment and intent.

    Each source's staging folder shapes its posts as `stg_<source>__social_posts` (the columns of
    `social_post_columns`); this model unions them and joins the scores. A new source adds its
    model to `post_models` below (or, from outside the project, to var `extra_social_post_models`).

    Incremental: a run rebuilds every thread (conversation) that gained or changed a post, or a
    score, since the last run minus a lookback for late data (var `incremental_lookback_minutes`),
    because a post's attributes can depend on its thread (the brand a dump's tweet is addressed to).
    The threads are picked through each source's view on its staging table before anything is
    joined, so the work follows the size of the change, not of the history.
    `dbt build --full-refresh` rebuilds everything and gives the same rows. -#}
{%- set post_models = [
    'stg_x__social_posts',
    'stg_facebook__social_posts',
    'stg_twcs__social_posts',
    'stg_discourse__social_posts',
    'stg_jsonl__social_posts',
] + var('extra_social_post_models', []) %}
{%- set incremental = is_incremental_with(['changed_at', 'post_url']) %}
with

{% if incremental %}
watermark as (
    select
        coalesce(max(changed_at), cast('1970-01-01' as timestamp with time zone))
        - interval '{{ var("incremental_lookback_minutes", 60) }} minutes' as changed_after
    from {{ this }}
),

rescored as (
    select
        source_table,
        native_id
    from {{ ref('stg_enrichment__post_scores') }}
    where scored_at > (select watermark.changed_after from watermark)
),
{% endif %}

unioned as (
    {% for post_model in post_models %}
    select {{ social_post_columns() }}
    from {{ ref(post_model) }}
    {% if incremental %}
    where thread_key in (
        select changed.thread_key
        from {{ ref(post_model) }} as changed
        where
            changed.extracted_at > (select watermark.changed_after from watermark)
            or (changed.source_table, changed.source_native_id) in (
                select rescored.source_table, rescored.native_id from rescored
            )
    )
    {% endif %}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

scores as (
    select * from {{ ref('stg_enrichment__post_scores') }}
),

joined as (
    select
        unioned.channel || ':' || unioned.post_id as post_key,
        unioned.*,
        scores.sentiment_score,
        scores.sentiment_label,
        scores.intent,
        scores.language,
        scores.scorer_version,
        scores.scored_at,
        greatest(unioned.extracted_at, coalesce(scores.scored_at, unioned.extracted_at)) as changed_at,
        {{ dbt.current_timestamp() }} as built_at
    from unioned
    left join scores
        on
            unioned.source_table = scores.source_table
            and unioned.source_native_id = scores.native_id
            and unioned.payload_hash = scores.payload_hash
)

select * from joined
