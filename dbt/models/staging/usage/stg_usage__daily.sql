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
        incremental_strategy='delete+insert',
        unique_key='activity_date',
        on_schema_change='append_new_columns',
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

ranked as (
    select
        *,
        row_number() over (
            partition by activity_date, user_id, feature
            order by _source_file desc, _row_number desc
        ) as _version_rank
    from source
),

final as (
    select
        ranked.activity_date,
        -- a usage row's own account_id wins over the user's (reading 21)
        coalesce(ranked.account_id, users.account_id) as account_id,
        ranked.user_id,
        ranked.feature,
        ranked.event_count,
        ranked.devices,
        ranked._source_file,
        day_loads._day_loaded_at
    from ranked
    inner join day_loads
        on ranked.activity_date = day_loads.activity_date
    left join users
        on ranked.user_id = users.user_id
    where ranked._version_rank = 1
)

select * from final
