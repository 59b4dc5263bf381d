-- The history snapshot dates (CONTRACT section 3, reading 23): the grid days (every
-- Sunday; var snapshot_weekday) on or before D, plus D itself when it is not a grid day
-- (the current snapshot, provisional until the next run replaces it); the latest
-- health_history_weeks of them, none before the earliest usage activity_date.

select
    snapshot_date,
    is_grid_day,
    is_current_snapshot,
    not is_grid_day as is_provisional,
    reference_snapshot_date,
    as_of_date
from {{ ref('int_snapshot_spine') }}
where is_history
