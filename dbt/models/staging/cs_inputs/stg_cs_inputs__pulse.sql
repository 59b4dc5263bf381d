with

source as (
    select * from {{ source('cs_inputs', 'pulse') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['pulse_id']) }} as _version_rank
    from source
),

final as (
    select
        pulse_id,
        account_id,
        recorded_at,
        cast(recorded_at as date) as recorded_on,
        recorded_by,
        pulse,
        note,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
