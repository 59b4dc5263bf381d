{#-
    One row per user and day of use, with the feature mix the health metrics and CTA rules
    need. Incremental (delete+insert by activity_date): a run recomputes only the days of
    stg_usage__daily that changed since the last build (see changed_periods_filter).
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
        user_id,
        sum(event_count) as event_count,
        sum(case when feature = 'core_action' then event_count else 0 end) as core_action_events,
        sum(case when feature = 'mobile_session' then event_count else 0 end) as mobile_events,
        sum(
            case when feature in ('export', 'share', 'integration') then event_count else 0 end
        ) as advanced_events,
        max(devices) as max_devices,
        count(*) as features_used,
        max(_day_loaded_at) as _day_loaded_at
    from daily
    group by activity_date, account_id, user_id
)

select * from final
