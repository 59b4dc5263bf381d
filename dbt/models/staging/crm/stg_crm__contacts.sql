-- A table, not a view: person_key needs the salt, which only dbt's connections hold
-- (dagster_project/privacy.py); a view would need it on every read.
{{ config(materialized='table') }}
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
        {{ normalise_email('email') }} as email,
        {{ person_key('email') }} as person_key,
        role,
        created_at,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
)

select * from final
