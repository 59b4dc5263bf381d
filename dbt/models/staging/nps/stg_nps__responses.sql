-- A table, not a view: person_key needs the salt, which only dbt's connections hold
-- (dagster_project/privacy.py); a view would need it on every read.
{{ config(materialized='table') }}
with

source as (
    select * from {{ source('nps', 'responses') }}
),

contact_emails as (
    select * from {{ ref('stg_crm__contact_emails') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['response_id']) }} as _version_rank
    from source
),

latest as (
    select
        response_id,
        {{ normalise_email('email') }} as email,
        account_id as source_account_id,
        sent_at,
        responded_at,
        score,
        comment,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
),

final as (
    select
        latest.response_id,
        latest.email,
        {{ person_key('latest.email') }} as person_key,
        latest.source_account_id,
        coalesce(latest.source_account_id, contact_emails.account_id) as account_id,
        contact_emails.contact_id,
        latest.sent_at,
        latest.responded_at,
        cast(latest.responded_at as date) as responded_on,
        latest.score,
        latest.comment,
        latest._source_file,
        latest._loaded_at
    from latest
    left join contact_emails
        on latest.email = contact_emails.email
)

select * from final
