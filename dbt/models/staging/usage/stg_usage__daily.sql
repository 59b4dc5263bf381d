{#-
    The biggest table (~100M rows at 10,000 accounts). Materialised as an incremental table,
    not a view: every downstream read (and as_of_date()) would otherwise repeat the
    deduplication over the whole history. A run reads only the raw rows of activity days
    that received rows since the last build (raw `_loaded_at` newer than the newest
    `_day_loaded_at` already built) and replaces those days whole (delete+insert by
    activity_date), so a late re-delivery of an old day is applied correctly.
-#}
{{
    config(
        materialized='incremental',
        on_schema_change='append_new_columns',
        **incremental_by_day('activity_date')
    )
}}

with

source as (
    select * from {{ source('usage', 'daily') }}
    where {{ changed_periods_filter('activity_date', source('usage', 'daily'), '_loaded_at', '_day_loaded_at') }}
),

users as (
    select * from {{ ref('stg_usage__users') }}
),

day_loads as (
    select
        activity_date,
        max(_loaded_at) as _day_loaded_at
    from source
    group by activity_date
),

-- Re-delivered keys are rare: only they pay for the window; the rest pass through.
duplicated_keys as (
    select
        activity_date,
        user_id,
        feature
    from source
    group by activity_date, user_id, feature
    having count(*) > 1
),

single_versions as (
    select source.*
    from source
    left join duplicated_keys
        on
            source.activity_date = duplicated_keys.activity_date
            and source.user_id = duplicated_keys.user_id
            and source.feature = duplicated_keys.feature
    where duplicated_keys.activity_date is null
),

ranked_versions as (
    select
        source.*,
        {{ latest_delivery_rank(['activity_date', 'user_id', 'feature'], alias='source') }} as _version_rank
    from source
    inner join duplicated_keys
        on
            source.activity_date = duplicated_keys.activity_date
            and source.user_id = duplicated_keys.user_id
            and source.feature = duplicated_keys.feature
),

deduplicated as (
    select
        activity_date,
        account_id,
        user_id,
        feature,
        event_count,
        devices
    from single_versions
    union all
    select
        activity_date,
        account_id,
        user_id,
        feature,
        event_count,
        devices
    from ranked_versions
    where _version_rank = 1
),

final as (
    select
        deduplicated.activity_date,
        -- a usage row's own account_id wins over the user's (reading 21)
        coalesce(deduplicated.account_id, users.account_id) as account_id,
        deduplicated.user_id,
        deduplicated.feature,
        deduplicated.event_count,
        deduplicated.devices,
        day_loads._day_loaded_at
    from deduplicated
    inner join day_loads
        on deduplicated.activity_date = day_loads.activity_date
    left join users
        on deduplicated.user_id = users.user_id
)

select * from final
