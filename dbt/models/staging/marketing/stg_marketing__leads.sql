-- A table, not a view: person_key needs the salt, which only dbt's connections hold
-- (dagster_project/privacy.py); a view would need it on every read.
{{ config(materialized='table') }}
with

source as (
    select * from {{ source('marketing', 'leads') }}
),

contact_emails as (
    select * from {{ ref('stg_crm__contact_emails') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['lead_id']) }} as _version_rank
    from source
),

latest as (
    select
        lead_id,
        {{ normalise_email('email') }} as email,
        company_name,
        account_id as source_account_id,
        lead_source,
        created_at,
        status,
        converted_at,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
),

final as (
    select
        latest.lead_id,
        latest.email,
        {{ person_key('latest.email') }} as person_key,
        latest.company_name,
        latest.source_account_id,
        -- identity: the record's own account_id wins, else the account of the e-mail's contact
        coalesce(latest.source_account_id, contact_emails.account_id) as account_id,
        contact_emails.contact_id,
        latest.lead_source,
        latest.created_at,
        cast(latest.created_at as date) as created_on,
        latest.status,
        latest.converted_at,
        latest._source_file,
        latest._loaded_at
    from latest
    left join contact_emails
        on latest.email = contact_emails.email
)

select * from final
