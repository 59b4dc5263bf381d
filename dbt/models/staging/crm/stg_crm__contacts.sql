with

source as (
    select * from {{ source('crm', 'contacts') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['contact_id']) }} as _version_rank
    from source
),

final as (
    select
        contact_id,
        account_id,
        full_name,
        lower(trim(email)) as email,
        role,
        created_at,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
