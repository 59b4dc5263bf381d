with

source as (
    select * from {{ source('cta_actions', 'outcomes') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['cta_id', 'recorded_at']) }} as _version_rank
    from source
),

final as (
    select
        cta_id,
        recorded_at,
        cast(recorded_at as date) as recorded_on,
        recorded_by,
        outcome,
        note,
        reason_code,
        case
            when outcome = 'snoozed'
                then coalesce(
                        snooze_until,
                        {{ add_days('cast(recorded_at as date)', var('snooze_days_default')) }}
                    )
        end as snooze_until,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
