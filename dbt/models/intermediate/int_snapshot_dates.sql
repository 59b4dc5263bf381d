-- The health / CTA snapshot spine: D, D-7, D-14, ... (health_history_weeks dates,
-- reading 23), none before the earliest usage activity_date.
with

usage_days as (
    select min(activity_date) as first_activity_date
    from {{ ref('stg_usage__daily') }}
),

weeks as (
    {{ dbt.generate_series(var('health_history_weeks') | int) }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

dates as (
    select
        cast(
            {{ dbt.dateadd('day', '-7 * (weeks.generated_number - 1)', 'as_of.as_of_date') }}
            as date
        ) as snapshot_date,
        weeks.generated_number - 1 as weeks_before_as_of,
        as_of.as_of_date
    from weeks
    cross join as_of
),

final as (
    select
        dates.snapshot_date,
        dates.weeks_before_as_of,
        dates.as_of_date,
        dates.snapshot_date = dates.as_of_date as is_as_of_date
    from dates
    cross join usage_days
    where dates.snapshot_date >= usage_days.first_activity_date
)

select * from final
