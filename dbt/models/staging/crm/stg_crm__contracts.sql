with

source as (
    select * from {{ source('crm', 'contracts') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by contract_id
            order by _source_file desc, _row_number desc
        ) as _version_rank
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
