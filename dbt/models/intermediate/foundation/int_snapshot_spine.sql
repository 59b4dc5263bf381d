-- Every snapshot date the health models compute: the history dates of int_snapshot_dates
-- plus the grid days just before them that serve only as 28-day reference snapshots of the
-- oldest history dates (reading 13). So the oldest history rows keep the change they had
-- when they were new, and a grid day's row never depends on where D is (section 10).
--   history = the latest health_history_weeks dates among the grid days on or before D and
--             D itself (reading 23), none before the earliest usage activity_date.
--   reference_snapshot_date = the latest spine date on or before S - 28 (null if none).
{% set weeks = var('health_history_weeks') | int %}
{% set reference_weeks = ((health_change_days() | int) + 6) // 7 %}

with

usage_days as (
    select min(first_activity_on) as first_activity_date
    from {{ ref('int_usage_firsts') }}
),

as_of as (
    select
        as_of_date,
        {{ grid_day_on_or_before('as_of_date') }} as last_grid_day
    from (select {{ as_of_date() }} as as_of_date) as d
),

grid_offsets as (
    {{ dbt.generate_series(weeks + reference_weeks) }}
),

candidates as (
    select
        {{ add_days('as_of.last_grid_day', '-7 * (grid_offsets.generated_number - 1)') }} as snapshot_date,
        true as is_grid_day
    from grid_offsets
    cross join as_of

    union all

    select
        as_of_date as snapshot_date,
        false as is_grid_day
    from as_of
    where as_of_date <> last_grid_day
),

ranked as (
    select
        candidates.snapshot_date,
        candidates.is_grid_day,
        row_number() over (order by candidates.snapshot_date desc) as recency
    from candidates
    cross join usage_days
    where candidates.snapshot_date >= usage_days.first_activity_date
),

dates as (
    select
        snapshot_date,
        is_grid_day,
        recency <= {{ weeks }} as is_history
    from ranked
    where recency <= {{ weeks + reference_weeks }}
),

final as (
    select
        dates.snapshot_date,
        dates.is_grid_day,
        dates.is_history,
        dates.snapshot_date = as_of.as_of_date as is_current_snapshot,
        (
            select max(earlier.snapshot_date)
            from dates as earlier
            where earlier.snapshot_date <= {{ add_days('dates.snapshot_date', '0 - ' ~ health_change_days()) }}
        ) as reference_snapshot_date,
        as_of.as_of_date
    from dates
    cross join as_of
)

select * from final
