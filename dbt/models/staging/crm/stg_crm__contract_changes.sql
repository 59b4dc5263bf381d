with

source as (
    select * from {{ source('crm', 'contract_changes') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['change_id']) }} as _version_rank
    from source
),

final as (
    select
        change_id,
        account_id,
        contract_id,
        changed_at,
        change_type,
        delta_seats,
        delta_arr_jpy,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
