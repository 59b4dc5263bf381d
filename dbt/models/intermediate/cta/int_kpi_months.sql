-- The KPI calendar (readings 16, 27; CONTRACT section 7): one row per month from the
-- month of the earliest contract start to D's month, with the dates its figures are
-- taken at:
--   stock_date           = the month's last snapshot date (D's month: D); months without
--                          a snapshot use the month's last day (or D), so contract stocks
--                          still count;
--   health_snapshot_date = the month's last snapshot date (null when none: no health);
--   fiscal_year_start    = first day of the fiscal year holding the month
--                          (var fiscal_year_start_month, April by default);
--   period_start_snapshot_date = the first snapshot date of that fiscal year.

with

contracts as (
    select * from {{ ref('int_contracts') }}
),

snapshot_dates as (
    select * from {{ ref('int_snapshot_dates') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

bounds as (
    select
        {{ month_start('min(contracts.start_date)') }} as first_month,
        {{ month_start('max(as_of.as_of_date)') }} as last_month
    from contracts
    cross join as_of
),

-- the month starts among the days from the first month to the last (not a recursive
-- CTE: Spark runs each level of a recursion as its own job, a month each)
months as (
    select days.day as month_start
    from (
        {{ date_range_rows('bounds.first_month', 'bounds.last_month', 'bounds') }}
        where bounds.first_month is not null
    ) as days
    where {{ month_start('days.day') }} = days.day
),

month_bounds as (
    select
        months.month_start,
        least({{ add_days(add_months('months.month_start', 1), -1) }}, as_of.as_of_date) as month_end,
        {{ fiscal_year_start('months.month_start') }} as fiscal_year_start
    from months
    cross join as_of
),

with_snapshots as (
    select
        month_bounds.month_start,
        month_bounds.month_end,
        month_bounds.fiscal_year_start,
        max(snapshot_dates.snapshot_date) as health_snapshot_date
    from month_bounds
    left join snapshot_dates
        on snapshot_dates.snapshot_date between month_bounds.month_start and month_bounds.month_end
    group by month_bounds.month_start, month_bounds.month_end, month_bounds.fiscal_year_start
),

final as (
    select
        with_snapshots.month_start as month,
        with_snapshots.month_end,
        coalesce(with_snapshots.health_snapshot_date, with_snapshots.month_end) as stock_date,
        with_snapshots.health_snapshot_date,
        with_snapshots.fiscal_year_start,
        min(period_snapshots.snapshot_date) as period_start_snapshot_date
    from with_snapshots
    left join snapshot_dates as period_snapshots
        on
            with_snapshots.fiscal_year_start <= period_snapshots.snapshot_date
            and with_snapshots.health_snapshot_date >= period_snapshots.snapshot_date
    group by
        with_snapshots.month_start,
        with_snapshots.month_end,
        with_snapshots.health_snapshot_date,
        with_snapshots.fiscal_year_start
)

select * from final
