with

source as (
    select * from {{ source('crm', 'contracts') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['contract_id']) }} as _version_rank
    from source
),

final as (
    select
        contract_id,
        account_id,
        product,
        plan,
        start_date,
        end_date,
        seats,
        annual_quota,
        arr_jpy,
        status,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
