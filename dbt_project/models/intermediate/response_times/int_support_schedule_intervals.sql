{#- Every opening interval of every support schedule, as absolute (UTC) times, over the days the
    data spans (its posts within the timestamp window, to the build's as-of time) and 15 more for
    due times.

    This is the week-minute technique of Fivetran's dbt_zendesk with the time zone applied day by
    day: the weekly opening hours (local wall-clock times per weekday) are laid onto each calendar
    day, converted from the schedule's time zone (so daylight-saving changes are exact), overnight
    shifts are split at local midnight, and pieces falling on a holiday are removed. Business
    minutes are overlaps with these intervals. -#}
with

schedules as (
    select * from {{ ref('support_schedules') }}
),

hours as (
    select * from {{ ref('support_schedule_hours') }}
),

holidays as (
    select * from {{ ref('support_holidays') }}
),

posts as (
    -- the real range of the data: a post dated outside the believable window landed before the
    -- importers rejected such rows, and must not stretch the calendar over millennia
    select created_at from {{ ref('int_social_posts') }}
    where created_at between {{ timestamp_window_start() }} and {{ timestamp_window_end() }}
),

bounds as (
    select
        cast(coalesce(min(created_at), {{ as_of() }}) as date) - 1 as first_day,
        cast(greatest(coalesce(max(created_at), {{ as_of() }}), {{ as_of() }}) as date) + 15 as last_day
    from posts
),

days as (
    {{ day_spine('(select first_day from bounds)', '(select last_day from bounds)') }}
),

weekdays as (
    select
        weekday_numbers.day_of_week,
        weekday_numbers.iso_dow
    from (
        values
        ('monday', 1), ('tuesday', 2), ('wednesday', 3), ('thursday', 4),
        ('friday', 5), ('saturday', 6), ('sunday', 7)
    ) as weekday_numbers (day_of_week, iso_dow)
),

shifts as (
    select
        hours.schedule_id,
        schedules.time_zone,
        days.spine_date as shift_date,
        cast(days.spine_date as timestamp) + cast(hours.opens_at as time) as local_opens_at,
        case
            when cast(hours.closes_at as time) <= cast(hours.opens_at as time)
                then cast(days.spine_date + 1 as timestamp) + cast(hours.closes_at as time)
            else cast(days.spine_date as timestamp) + cast(hours.closes_at as time)
        end as local_closes_at
    from days
    inner join weekdays on weekdays.iso_dow = extract(isodow from days.spine_date)
    inner join hours on weekdays.day_of_week = hours.day_of_week
    inner join schedules on hours.schedule_id = schedules.schedule_id
),

pieces as (
    -- the part of each shift on its own day
    select
        schedule_id,
        time_zone,
        shift_date as local_date,
        local_opens_at,
        least(local_closes_at, cast(shift_date + 1 as timestamp)) as local_closes_at
    from shifts
    union all
    -- the part of an overnight shift after local midnight
    select
        schedule_id,
        time_zone,
        shift_date + 1 as local_date,
        cast(shift_date + 1 as timestamp) as local_opens_at,
        local_closes_at
    from shifts
    where local_closes_at > cast(shift_date + 1 as timestamp)
),

open_pieces as (
    select pieces.*
    from pieces
    left join holidays
        on
            pieces.schedule_id = holidays.schedule_id
            and pieces.local_date = holidays.holiday_date
    where
        holidays.schedule_id is null
        and pieces.local_closes_at > pieces.local_opens_at
),

final as (
    select
        schedule_id,
        local_date,
        {{ local_to_utc('local_opens_at', 'time_zone') }} as opens_at,
        {{ local_to_utc('local_closes_at', 'time_zone') }} as closes_at
    from open_pieces
)

select * from final
