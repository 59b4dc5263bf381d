with

source as (
    select * from {{ source('cs_inputs', 'overrides') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['override_id']) }} as _version_rank
    from source
),

final as (
    select
        override_id,
        account_id,
        set_at,
        cast(set_at as date) as set_on,
        set_by,
        override_score,
        reason,
        coalesce(
            expires_on,
            {{ add_days('cast(set_at as date)', var('override_days_default')) }}
        ) as expires_on,
        expires_on is null as is_default_expiry,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
