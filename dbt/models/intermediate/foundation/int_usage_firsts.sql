{#-
    Each user's first day of use and first core action (per account the usage rows carry,
    reading 21): "ever" metrics (core_action_user_rate) and adoption stages 1-2 read these
    instead of scanning the whole usage history every day.

    Incremental (delete+insert by account and user): a run reads only the user-days that
    changed since the last build (changed_periods_filter). A first date can only move
    earlier with new days, so it is the earlier of the stored and the new one; a user with a
    changed day on or before a stored first date (a re-delivery of an old day may have
    removed that event) is recomputed from all of their days.
-#}
{{
    config(
        on_schema_change='append_new_columns',
        **incremental_by_key(['account_id', 'user_id'])
    )
}}

with

changed_days as (
    select * from {{ ref('int_usage_user_day') }}
    where {{ changed_periods_filter('activity_date', ref('int_usage_user_day')) }}
),

changed as (
    select
        account_id,
        user_id,
        min(activity_date) as first_activity_on,
        min(case when core_action_events > 0 then activity_date end) as first_core_action_on,
        max(_day_loaded_at) as _day_loaded_at
    from changed_days
    group by account_id, user_id
),

{% if is_incremental() %}

    stored as (
        select * from {{ this }}
    ),

    rebuilt_users as (
        select
            changed.account_id,
            changed.user_id
        from changed
        inner join stored
            on
                changed.account_id = stored.account_id
                and changed.user_id = stored.user_id
        where
            changed.first_activity_on <= stored.first_activity_on
            or changed.first_activity_on <= stored.first_core_action_on
    ),

    rebuilt as (
        select
            user_days.account_id,
            user_days.user_id,
            min(user_days.activity_date) as first_activity_on,
            min(case when user_days.core_action_events > 0 then user_days.activity_date end)
                as first_core_action_on,
            max(user_days._day_loaded_at) as _day_loaded_at
        from {{ ref('int_usage_user_day') }} as user_days
        inner join rebuilt_users
            on
                user_days.account_id = rebuilt_users.account_id
                and user_days.user_id = rebuilt_users.user_id
        group by user_days.account_id, user_days.user_id
    ),

    merged as (
        select
            changed.account_id,
            changed.user_id,
            case
                when stored.first_activity_on < changed.first_activity_on then stored.first_activity_on
                else changed.first_activity_on
            end as first_activity_on,
            case
                when changed.first_core_action_on is null then stored.first_core_action_on
                when stored.first_core_action_on < changed.first_core_action_on then stored.first_core_action_on
                else changed.first_core_action_on
            end as first_core_action_on,
            changed._day_loaded_at
        from changed
        left join stored
            on
                changed.account_id = stored.account_id
                and changed.user_id = stored.user_id
        where not exists (
                select 1
                from rebuilt_users
                where
                    rebuilt_users.account_id = changed.account_id
                    and rebuilt_users.user_id = changed.user_id
            )
    ),

    final as (
        select * from rebuilt
        union all
        select * from merged
    )

{% else %}

final as (  -- noqa: LT02
    select * from changed  -- noqa: LT02
)  -- noqa: LT02

{% endif %}

select * from final
