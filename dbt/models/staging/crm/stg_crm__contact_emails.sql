-- A table, not a view: the identity lookup joined by every people-level staging model and many marts,
-- so its dedup runs once per build.
{{ config(materialized='table') }}

-- One row per e-mail address: the identity map used to resolve people to contacts and
-- accounts (reading 21). When an e-mail belongs to several contacts (possibly of
-- different accounts), the contact with the latest created_at wins, then the smallest
-- contact_id.
with

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

ranked as (
    select
        email,
        person_key,
        contact_id,
        account_id,
        role,
        created_at,
        row_number() over (
            partition by email
            order by created_at desc, contact_id asc
        ) as _email_rank,
        count(*) over (partition by email) as contacts_with_email
    from contacts
    where email is not null and email <> ''
),

final as (
    select
        email,
        person_key,
        contact_id,
        account_id,
        role,
        contacts_with_email
    from ranked
    where _email_rank = 1
)

select * from final
