-- The incremental usage models must add up to the deduplicated usage, day by day and
-- week by week: a mismatch means an incremental run missed or double-counted a day.
-- Checked over the days (and their weeks) written by the latest build.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'fct_usage_weekly'}}}) }}

{%- set week_of_activity = dbt.date_trunc('week', 'activity_date') %}

with

latest_days as (
    select distinct usage.activity_date
    from {{ ref('stg_usage__daily') }} as usage
    where usage._day_loaded_at = (select max(newest._day_loaded_at) from {{ ref('stg_usage__daily') }} as newest)
),

latest_weeks as (
    select distinct cast({{ week_of_activity }} as date) as week_start
    from latest_days
),

daily as (
    select
        activity_date,
        sum(event_count) as events
    from {{ ref('stg_usage__daily') }}
    where activity_date in (select latest_days.activity_date from latest_days)
    group by activity_date
),

user_day as (
    select
        activity_date,
        sum(event_count) as events
    from {{ ref('int_usage_user_day') }}
    where activity_date in (select latest_days.activity_date from latest_days)
    group by activity_date
),

feature_day as (
    select
        activity_date,
        sum(event_count) as events
    from {{ ref('int_usage_account_feature_day') }}
    where activity_date in (select latest_days.activity_date from latest_days)
    group by activity_date
),

daily_by_week as (
    select
        cast({{ week_of_activity }} as date) as week_start,
        sum(event_count) as events
    from {{ ref('stg_usage__daily') }}
    where cast({{ week_of_activity }} as date) in (select latest_weeks.week_start from latest_weeks)
    group by cast({{ week_of_activity }} as date)
),

weekly as (
    select
        week_start,
        sum(events) as events
    from {{ ref('fct_usage_weekly') }}
    where week_start in (select latest_weeks.week_start from latest_weeks)
    group by week_start
)

select
    daily.activity_date as period,
    daily.events as expected_events,
    coalesce(user_day.events, -1) as user_day_events,
    coalesce(feature_day.events, -1) as other_events
from daily
left join user_day
    on daily.activity_date = user_day.activity_date
left join feature_day
    on daily.activity_date = feature_day.activity_date
where
    user_day.events is null
    or feature_day.events is null
    or daily.events <> user_day.events
    or daily.events <> feature_day.events

union all

select
    daily_by_week.week_start as period,
    daily_by_week.events as expected_events,
    null as user_day_events,
    coalesce(weekly.events, -1) as other_events
from daily_by_week
left join weekly
    on daily_by_week.week_start = weekly.week_start
where weekly.events is null or daily_by_week.events <> weekly.events
