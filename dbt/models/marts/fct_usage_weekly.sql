{#-
    Weekly product usage per account (weeks start on Monday). Incremental: a run recomputes
    only the weeks holding a day that changed in int_usage_user_day (delete+insert by
    week_start), plus the stored weeks whose D-dependent or account-dependent columns went
    stale: days_in_week no longer what it is at this D (the partial week D moved through or
    past, or every week after a D moved back) or segment no longer the account's
    (usage_weekly_stale_weeks). _built_at says which build wrote a week (publish copies the
    weeks it changed).
-#}
{{
    config(
        materialized='incremental',
        on_schema_change='sync_all_columns',
        **incremental_by_day('week_start')
    )
}}

{%- set week_of_activity = dbt.date_trunc('week', 'activity_date') %}

with

user_days as (
    select * from {{ ref('int_usage_user_day') }}
    where
        ({{ changed_periods_filter(week_of_activity, ref('int_usage_user_day'), day_column='activity_date', period_days=7) }})
        or ({{ usage_weekly_stale_weeks(week_of_activity) }})
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
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
        cast(weekly.active_users as bigint) as active_users,
        cast(account_week_days.active_days as bigint) as active_days,
        cast(weekly.events as bigint) as events,
        cast(weekly.core_action_events as bigint) as core_action_events,
        cast(weekly.core_action_users as bigint) as core_action_users,
        cast(weekly.mobile_events as bigint) as mobile_events,
        cast(weekly.mobile_users as bigint) as mobile_users,
        cast(weekly.advanced_events as bigint) as advanced_events,
        cast(weekly.advanced_users as bigint) as advanced_users,
        weekly.max_devices,
        weekly._day_loaded_at,
        accounts.segment,
        {{ usage_week_days_in_week('weekly.week_start', 'as_of.as_of_date') }} as days_in_week,
        {{ usage_week_days_in_week('weekly.week_start', 'as_of.as_of_date') }} < 7 as is_partial_week,
        {{ build_started_at() }} as _built_at
    from weekly
    cross join as_of
    inner join account_week_days
        on
            weekly.account_id = account_week_days.account_id
            and weekly.week_start = account_week_days.week_start
    left join accounts
        on weekly.account_id = accounts.account_id
)

select * from final
