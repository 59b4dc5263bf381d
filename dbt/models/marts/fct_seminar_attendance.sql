-- One row per seminar registration (seminars without registrations have none here).
with

registrations as (
    select * from {{ ref('stg_seminars__registrations') }}
    where email is not null
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

segments as (
    select * from {{ ref('segments') }}
),

final as (
    select
        {{ dbt.hash(dbt.concat(['registrations.seminar_id', "'|'", 'registrations.email'])) }} as registration_id,
        registrations.seminar_id,
        registrations.title,
        registrations.category,
        registrations.held_at,
        registrations.held_on,
        cast({{ dbt.date_trunc('month', 'registrations.held_on') }} as date) as held_month,
        registrations.email,
        registrations.account_id,
        registrations.account_id is not null as is_matched,
        segments.segment,
        registrations.contact_id,
        registrations.registered_at,
        coalesce(registrations.attended, false) as attended,
        registrations.attended_minutes
    from registrations
    left join accounts
        on registrations.account_id = accounts.account_id
    left join segments
        on
            accounts.employee_count >= segments.min_employees
            and (segments.max_employees is null or accounts.employee_count <= segments.max_employees)
)

select * from final
