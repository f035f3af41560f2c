{#- First-response SLA, step 2: the business clock of each support schedule. Every opening interval
    in order, with the open minutes of its schedule before it and through its end: the clock reads
    `minutes_before` at `opens_at`, runs while the interval is open and stands still between
    intervals. Reading it at two moments gives the business minutes between them. -#}
with

intervals as (
    select * from {{ ref('int_support_schedule_intervals') }}
),

final as (
    select
        schedule_id,
        row_number() over (partition by schedule_id order by opens_at) as interval_number,
        opens_at,
        closes_at,
        coalesce(sum({{ minutes_between('opens_at', 'closes_at') }}) over (
            partition by schedule_id
            order by opens_at
            rows between unbounded preceding and 1 preceding
        ), 0) as minutes_before,
        sum({{ minutes_between('opens_at', 'closes_at') }}) over (
            partition by schedule_id
            order by opens_at
            rows between unbounded preceding and current row
        ) as minutes_through
    from intervals
)

select * from final
