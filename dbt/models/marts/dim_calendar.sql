-- The calendar (one row per day) and the semantic layer's time spine: every day from the
-- first day of the first KPI month (int_kpi_months: the month of the earliest contract
-- start) to the last day of the fiscal year holding D, so MetricFlow can label every day a
-- fact can fall on up to D with its week, month, fiscal quarter and fiscal year. The fiscal
-- calendar comes from the macros in macros/fiscal.sql (var fiscal_year_start_month).

with

kpi_months as (
    select * from {{ ref('int_kpi_months') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

bounds as (
    select
        min(kpi_months.month) as first_day,
        {{ add_days(add_months(fiscal_year_start('max(as_of.as_of_date)'), 12), -1) }} as last_day,
        max(as_of.as_of_date) as as_of_date
    from kpi_months
    cross join as_of
),

days as (
    {{ date_range_rows('bounds.first_day', 'bounds.last_day', 'bounds') }}
    where bounds.first_day is not null
),

final as (
    select
        days.day as date_day,
        cast({{ dbt.date_trunc('week', 'days.day') }} as date) as week_start,
        {{ month_start('days.day') }} as month_start,
        {{ fiscal_year('days.day') }} as fiscal_year,
        {{ fiscal_quarter('days.day') }} as fiscal_quarter,
        {{ fiscal_quarter_start('days.day') }} as fiscal_quarter_start,
        {{ fiscal_year_start('days.day') }} as fiscal_year_start,
        days.day <= bounds.as_of_date as is_on_or_before_as_of_date,
        bounds.as_of_date
    from days
    cross join bounds
)

select * from final
