with

source as (
    select * from {{ source('crm', 'activities') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['activity_id']) }} as _version_rank
    from source
),

final as (
    select
        activity_id,
        account_id,
        contact_id,
        activity_type,
        occurred_at,
        cast(occurred_at as date) as occurred_on,
        owner,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
