with

source as (
    select * from {{ source('crm', 'accounts') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['account_id']) }} as _version_rank
    from source
),

final as (
    select
        account_id,
        account_name,
        industry,
        employee_count,
        region,
        csm_owner,
        created_at,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
