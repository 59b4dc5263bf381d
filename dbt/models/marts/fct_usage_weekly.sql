{#-
    Weekly product usage per account (weeks start on Monday). Incremental: a run recomputes
    only the weeks holding a day that changed in int_usage_user_day (delete+insert by
    week_start).
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='week_start',
        on_schema_change='append_new_columns',
    )
}}

{%- set week_of_activity = dbt.date_trunc('week', 'activity_date') %}

with

user_days as (
    select * from {{ ref('int_usage_user_day') }}
    where {{ changed_periods_filter(week_of_activity, ref('int_usage_user_day'), day_column='activity_date', period_days=7) }}
),

user_weeks as (
    -- one row per user and week first, so the account-week step needs no distinct counts
    select
        account_id,
        cast({{ week_of_activity }} as date) as week_start,
        user_id,
        sum(event_count) as events,
        sum(core_action_events) as core_action_events,
        sum(mobile_events) as mobile_events,
        sum(advanced_events) as advanced_events,
        max(max_devices) as max_devices,
        max(_day_loaded_at) as _day_loaded_at
    from user_days
    group by account_id, cast({{ week_of_activity }} as date), user_id
),

account_days as (
    select
        account_id,
        activity_date
    from user_days
    group by account_id, activity_date
),

account_week_days as (
    select
        account_id,
        cast({{ week_of_activity }} as date) as week_start,
        count(*) as active_days
    from account_days
    group by account_id, cast({{ week_of_activity }} as date)
),

weekly as (
    select
        user_weeks.account_id,
        user_weeks.week_start,
        count(*) as active_users,
        sum(user_weeks.events) as events,
        sum(user_weeks.core_action_events) as core_action_events,
        sum(case when user_weeks.core_action_events > 0 then 1 else 0 end) as core_action_users,
        sum(user_weeks.mobile_events) as mobile_events,
        sum(case when user_weeks.mobile_events > 0 then 1 else 0 end) as mobile_users,
        sum(user_weeks.advanced_events) as advanced_events,
        sum(case when user_weeks.advanced_events > 0 then 1 else 0 end) as advanced_users,
        max(user_weeks.max_devices) as max_devices,
        max(user_weeks._day_loaded_at) as _day_loaded_at
    from user_weeks
    group by user_weeks.account_id, user_weeks.week_start
),

final as (
    select
        weekly.account_id,
        weekly.week_start,
        cast({{ dbt.dateadd('day', 6, 'weekly.week_start') }} as date) as week_end,
        weekly.active_users,
        account_week_days.active_days,
        weekly.events,
        weekly.core_action_events,
        weekly.core_action_users,
        weekly.mobile_events,
        weekly.mobile_users,
        weekly.advanced_events,
        weekly.advanced_users,
        weekly.max_devices,
        weekly._day_loaded_at
    from weekly
    inner join account_week_days
        on
            weekly.account_id = account_week_days.account_id
            and weekly.week_start = account_week_days.week_start
)

select * from final
