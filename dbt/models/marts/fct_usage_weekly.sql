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
    where {{ changed_periods_filter(week_of_activity, ref('int_usage_user_day')) }}
),

weekly as (
    select
        account_id,
        cast({{ week_of_activity }} as date) as week_start,
        count(distinct user_id) as active_users,
        count(distinct activity_date) as active_days,
        sum(event_count) as events,
        sum(core_action_events) as core_action_events,
        count(distinct case when core_action_events > 0 then user_id end) as core_action_users,
        sum(mobile_events) as mobile_events,
        count(distinct case when mobile_events > 0 then user_id end) as mobile_users,
        sum(advanced_events) as advanced_events,
        count(distinct case when advanced_events > 0 then user_id end) as advanced_users,
        max(max_devices) as max_devices,
        max(_day_loaded_at) as _day_loaded_at
    from user_days
    group by account_id, cast({{ week_of_activity }} as date)
),

final as (
    select
        account_id,
        week_start,
        cast({{ dbt.dateadd('day', 6, 'week_start') }} as date) as week_end,
        active_users,
        active_days,
        events,
        core_action_events,
        core_action_users,
        mobile_events,
        mobile_users,
        advanced_events,
        advanced_users,
        max_devices,
        _day_loaded_at
    from weekly
)

select * from final
