with

source as (
    select * from {{ source('cta_actions', 'outcomes') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by cta_id, recorded_at
            order by _source_file desc, _row_number desc
        ) as _version_rank
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
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
