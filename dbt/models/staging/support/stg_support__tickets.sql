-- A table, not a view: person_key needs the salt, which only dbt's connections hold
-- (dagster_project/privacy.py); a view would need it on every read.
{{ config(materialized='table') }}
-- The help desk exports every change of a ticket again: the version with the latest
-- updated_at wins (ties: the later delivery, then the later record).
with

source as (
    select * from {{ source('support', 'tickets') }}
),

contact_emails as (
    select * from {{ ref('stg_crm__contact_emails') }}
),

ranked as (
    select
        *,
        {{ latest_delivery_rank(['id'], newest_first='updated_at desc') }} as _version_rank,
        count(*) over (partition by id) as versions
    from source
),

latest as (
    select
        id as ticket_id,
        organization_id as account_id,
        {{ normalise_email('requester_email') }} as requester_email,
        subject,
        created_at,
        updated_at,
        solved_at,
        status,
        priority,
        channel,
        category,
        satisfaction,
        versions,
        _source_file,
        _loaded_at
    from ranked
    where _version_rank = 1
),

final as (
    select
        latest.ticket_id,
        latest.account_id,
        latest.requester_email,
        {{ person_key('latest.requester_email') }} as requester_person_key,
        contact_emails.contact_id as requester_contact_id,
        latest.subject,
        latest.created_at,
        latest.updated_at,
        latest.solved_at,
        latest.status,
        latest.priority,
        latest.channel,
        latest.category,
        latest.satisfaction,
        cast(latest.created_at as date) as created_on,
        -- reading 7: solved at solved_at, or at updated_at when solved/closed without solved_at
        cast(
            case
                when latest.solved_at is not null then latest.solved_at
                when latest.status in ('solved', 'closed') then latest.updated_at
            end as date
        ) as solved_on,
        latest.versions,
        latest._source_file,
        latest._loaded_at
    from latest
    left join contact_emails
        on latest.requester_email = contact_emails.email
)

select * from final
