-- One row per seminar registration (seminars without registrations have none here).
with

registrations as (
    select * from {{ ref('stg_seminars__registrations') }}
    where email is not null
),

accounts as (
    select * from {{ ref('int_accounts') }}
),


final as (
    select
        {{ dbt.hash(dbt.concat(['registrations.seminar_id', "'|'", 'registrations.person_key'])) }} as registration_id,
        registrations.seminar_id,
        registrations.title,
        registrations.category,
        registrations.held_at,
        registrations.held_on,
        cast({{ dbt.date_trunc('month', 'registrations.held_on') }} as date) as held_month,
        registrations.person_key,
        registrations.account_id,
        registrations.account_id is not null as is_matched,
        accounts.segment,
        registrations.contact_id,
        registrations.registered_at,
        coalesce(registrations.attended, false) as attended,
        registrations.attended_minutes
    from registrations
    left join accounts
        on registrations.account_id = accounts.account_id
)

select * from final
