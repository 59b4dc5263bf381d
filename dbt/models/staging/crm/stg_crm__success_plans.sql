with

source as (
    select * from {{ source('crm', 'success_plans') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['objective_id']) }} as _version_rank
    from source
),

final as (
    select
        objective_id,
        account_id,
        objective,
        target_date,
        status,
        achieved_at,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
