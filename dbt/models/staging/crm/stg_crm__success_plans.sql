with

source as (
    select * from {{ source('crm', 'success_plans') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by objective_id
            order by _source_file desc, _row_number desc
        ) as _version_rank
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
