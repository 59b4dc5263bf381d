-- The incremental usage models must add up to the deduplicated usage, day by day: a
-- mismatch means an incremental run missed or double-counted a day.
with

daily as (
    select activity_date, sum(event_count) as events
    from {{ ref('stg_usage__daily') }}
    group by activity_date
),

user_day as (
    select activity_date, sum(event_count) as events
    from {{ ref('int_usage_user_day') }}
    group by activity_date
),

feature_day as (
    select activity_date, sum(event_count) as events
    from {{ ref('int_usage_account_feature_day') }}
    group by activity_date
),

weekly as (
    select sum(events) as events from {{ ref('fct_usage_weekly') }}
)

select
    coalesce(daily.activity_date, user_day.activity_date, feature_day.activity_date) as activity_date,
    daily.events as daily_events,
    user_day.events as user_day_events,
    feature_day.events as feature_day_events
from daily
full outer join user_day
    on daily.activity_date = user_day.activity_date
full outer join feature_day
    on coalesce(daily.activity_date, user_day.activity_date) = feature_day.activity_date
where
    daily.events is null
    or user_day.events is null
    or feature_day.events is null
    or daily.events <> user_day.events
    or daily.events <> feature_day.events

union all

select
    null as activity_date,
    (select sum(events) from daily) as daily_events,
    weekly.events as user_day_events,
    null as feature_day_events
from weekly
where weekly.events <> (select sum(events) from daily)
