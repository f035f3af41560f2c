{#- Reading a schedule's business clock (model int_support_business_clock) without a range join:
    moments are sorted among the intervals' ends, and the interval of a moment is the first one
    that ends at or after it. -#}

{#- The clock's reading (open minutes since the schedule's first interval) at each moment of
    `moments` (a relation with columns moment_key, schedule_id, moment, moment_at): rows of
    moment_key, moment, business_minute. After the last interval every open minute has passed. -#}
{% macro business_clock_readings(moments, clock) -%}
    select
        located.moment_key,
        located.moment,
        case
            when {{ clock }}.schedule_id is null then totals.open_minutes
            else {{ clock }}.minutes_before + {{ minutes_between(
                clock ~ '.opens_at', 'greatest(' ~ clock ~ '.opens_at, located.moment_at)'
            ) }}
        end as business_minute
    from (
        select
            moment_key,
            schedule_id,
            moment,
            moment_at,
            is_interval_end,
            1 + sum(is_interval_end) over (
                partition by schedule_id
                order by moment_at, is_interval_end
                rows between unbounded preceding and current row
            ) as interval_number
        from (
            select moment_key, schedule_id, moment, moment_at, 0 as is_interval_end from {{ moments }}
            union all
            select null, schedule_id, null, closes_at, 1 from {{ clock }}
        ) as sorted
    ) as located
    left join {{ clock }}
        on
            located.schedule_id = {{ clock }}.schedule_id
            and located.interval_number = {{ clock }}.interval_number
    left join (
        select schedule_id, max(minutes_through) as open_minutes from {{ clock }} group by schedule_id
    ) as totals on located.schedule_id = totals.schedule_id
    where located.is_interval_end = 0
{%- endmacro %}

{#- The moment the clock reads `due_minute`, for each row of `readings` (a relation with columns
    moment_key, schedule_id, due_minute): rows of moment_key, due_at. It falls inside the first
    interval through whose end the schedule has that many open minutes (none after the last one). -#}
{% macro business_clock_moments(readings, clock) -%}
    select
        located.moment_key,
        {{ dbt.dateadd(
            'second',
            'cast(round((located.due_minute - ' ~ clock ~ '.minutes_before) * 60) as integer)',
            clock ~ '.opens_at'
        ) }} as due_at
    from (
        select
            moment_key,
            schedule_id,
            due_minute,
            is_interval_end,
            1 + sum(is_interval_end) over (
                partition by schedule_id
                order by due_minute, is_interval_end
                rows between unbounded preceding and current row
            ) as interval_number
        from (
            select moment_key, schedule_id, due_minute, 0 as is_interval_end from {{ readings }}
            union all
            select null, schedule_id, minutes_through, 1 from {{ clock }}
        ) as sorted
    ) as located
    inner join {{ clock }}
        on
            located.schedule_id = {{ clock }}.schedule_id
            and located.interval_number = {{ clock }}.interval_number
    where located.is_interval_end = 0
{%- endmacro %}
