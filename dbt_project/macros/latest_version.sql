{#- The latest landed version of each object in a raw table: one row per `partition_by`.

    In an incremental model only the objects with a version landed since the model's newest
    `extracted_at` (less the late-commit lookback, var `incremental_lookback_minutes`) are read,
    all their versions, so the winner is picked as in a full build.

    `then_by` orders versions that share a `source_updated_at` (two edits within one second)
    before the landing order decides: a re-read of an older version lands after a newer one.

    `by_landing`: the last landed version wins whatever its `source_updated_at` (a dump is the
    source of truth for its ids: the latest import wins, see extractors/dumps.py).

    `needs`: columns the model's table must have to be built incrementally (see
    is_incremental_with): a column added by a newer version of the model is filled for every row. -#}
{% macro latest_version(relation, partition_by='native_id', then_by=none, by_landing=false, needs=[]) %}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ partition_by }}
                order by
                    {% if not by_landing %}source_updated_at desc nulls last, {% endif -%}
                    {% if then_by %}{{ then_by }}, {% endif %}loaded_seq desc
            ) as _version_rank
        from {{ relation }}
        {% if is_incremental_with(needs) %}
        where {{ partition_by }} in (
            select {{ partition_by }}
            from {{ relation }}
            where extracted_at > (
                select
                    coalesce(max(previous.extracted_at), cast('1970-01-01' as timestamp with time zone))
                    - interval '{{ var("incremental_lookback_minutes", 60) }} minutes'
                from {{ this }} as previous
            )
        )
        {% endif %}
    ) as versions
    where _version_rank = 1
{% endmacro %}
