-- A table, not a view: person_key needs the salt, which only dbt's connections hold
-- (dagster_project/privacy.py); a view would need it on every read.
{{ config(materialized='table') }}
-- One row per seminar registration (key seminar_id + email); a seminar without any
-- registration keeps one row with null registration columns. Seminar attributes come from
-- the seminar's latest delivery; a registration's from its latest delivery.
with

source as (
    select * from {{ source('seminars', 'registrations') }}
),

contact_emails as (
    select * from {{ ref('stg_crm__contact_emails') }}
),

normalised as (
    select
        *,
        {{ normalise_email('email') }} as email_normalised
    from source
),

seminar_versions as (
    select
        seminar_id,
        title,
        category,
        held_at,
        {{ latest_delivery_rank(['seminar_id']) }} as _version_rank
    from normalised
),

seminars as (
    select
        seminar_id,
        title,
        category,
        held_at
    from seminar_versions
    where _version_rank = 1
),

registration_versions as (
    select
        seminar_id,
        email_normalised as email,
        registered_at,
        attended,
        attended_minutes,
        _source_file,
        _loaded_at,
        {{ latest_delivery_rank(['seminar_id', 'email_normalised']) }} as _version_rank
    from normalised
),

registrations as (
    select * from registration_versions
    where _version_rank = 1
),

seminars_with_registrations as (
    select distinct seminar_id from registrations
    where email is not null
),

kept_registrations as (
    -- the placeholder row of a seminar without registrations survives only while the
    -- seminar has no real registration
    select registrations.*
    from registrations
    where
        registrations.email is not null
        or registrations.seminar_id not in (select seminars_with_registrations.seminar_id from seminars_with_registrations)
),

final as (
    select
        seminars.seminar_id,
        seminars.title,
        seminars.category,
        seminars.held_at,
        cast(seminars.held_at as date) as held_on,
        kept_registrations.email,
        {{ person_key('kept_registrations.email') }} as person_key,
        kept_registrations.registered_at,
        kept_registrations.attended,
        kept_registrations.attended_minutes,
        contact_emails.account_id,
        contact_emails.contact_id,
        kept_registrations._source_file,
        kept_registrations._loaded_at
    from kept_registrations
    inner join seminars
        on kept_registrations.seminar_id = seminars.seminar_id
    left join contact_emails
        on kept_registrations.email = contact_emails.email
)

select * from final
