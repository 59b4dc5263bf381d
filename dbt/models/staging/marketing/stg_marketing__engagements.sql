-- A table, not a view: person_key needs the salt, which only dbt's connections hold
-- (dagster_project/privacy.py); a view would need it on every read.
{{ config(materialized='table') }}
with

source as (
    select * from {{ source('marketing', 'engagements') }}
),

contact_emails as (
    select * from {{ ref('stg_crm__contact_emails') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['event_id']) }} as _version_rank
    from source
),

latest as (
    select
        event_id,
        {{ normalise_email('email') }} as email,
        account_id as source_account_id,
        event_type,
        occurred_at,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
),

final as (
    select
        latest.event_id,
        latest.email,
        {{ person_key('latest.email') }} as person_key,
        latest.source_account_id,
        coalesce(latest.source_account_id, contact_emails.account_id) as account_id,
        contact_emails.contact_id,
        latest.event_type,
        latest.occurred_at,
        cast(latest.occurred_at as date) as occurred_on,
        latest._source_file,
        latest._loaded_at
    from latest
    left join contact_emails
        on latest.email = contact_emails.email
)

select * from final
