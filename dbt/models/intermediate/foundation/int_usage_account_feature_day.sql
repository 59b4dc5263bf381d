{#-
    One row per account, feature and day: events and distinct users. Incremental like
    int_usage_user_day (delete+insert by activity_date over the changed days only).
-#}
{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **incremental_by_day('activity_date')
    )
}}

with

daily as (
    select * from {{ ref('stg_usage__daily') }}
    where {{ changed_periods_filter('activity_date', ref('stg_usage__daily')) }}
),

final as (
    select
        activity_date,
        account_id,
        feature,
        sum(event_count) as event_count,
        -- (activity_date, user_id, feature) is the key of stg_usage__daily, so every row
        -- of a group is a different user: count(*) = distinct users, without a distinct
        count(*) as users,
        max(devices) as max_devices,
        max(_day_loaded_at) as _day_loaded_at
    from daily
    group by activity_date, account_id, feature
)

select * from final
