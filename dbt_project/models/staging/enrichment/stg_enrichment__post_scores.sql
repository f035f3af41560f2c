with

source as (
    select * from {{ source('enrichment', 'post_scores') }}
),

ranked as (
    select
        source_table,
        native_id,
        payload_hash,
        scorer_version,
        sentiment_score,
        sentiment_label,
        intent,
        language,
        scored_at,
        row_number() over (
            partition by source_table, native_id, payload_hash
            order by scored_at desc, scorer_version desc
        ) as score_rank
    from source
)

select
    source_table,
    native_id,
    payload_hash,
    scorer_version,
    sentiment_score,
    sentiment_label,
    intent,
    language,
    scored_at
from ranked
where score_rank = 1
