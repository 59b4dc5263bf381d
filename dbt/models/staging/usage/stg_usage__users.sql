-- A table, not a view: read by most usage, health and CTA models,
-- so its dedup runs once per build.
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('usage', 'users') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['user_id']) }} as _version_rank
    from source
),

final as (
    select
        user_id,
        account_id,
        role,
        created_at,
        first_login_at,
        deactivated_at,
        cast(created_at as date) as created_on,
        cast(first_login_at as date) as first_login_on,
        cast(deactivated_at as date) as deactivated_on,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
