-- The account timeline: one row per thing that happened to an account, whatever system it
-- came from, for Account 360 and for analysts who want an account's story in one query.
-- Kinds (labels in seed code_labels, code_kind timeline_kind): activity (a CRM touch),
-- ticket (a help-desk ticket, on the day it was created), nps (an NPS answer), seminar (a
-- seminar an account's person attended), cta_raised, cta_outcome, override (a health
-- override set) and pulse (a CSM's pulse). Customers' people appear as their contact role,
-- never by name or e-mail address. Records without an account (unmatched NPS answers and
-- seminar registrations, outcomes of CTAs no longer in the ledger) have no timeline.

with

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

tickets as (
    select * from {{ ref('fct_tickets') }}
),

nps as (
    select * from {{ ref('fct_nps_responses') }}
),

seminars as (
    select * from {{ ref('fct_seminar_attendance') }}
),

ctas as (
    select * from {{ ref('fct_cta_candidates') }}
),

outcomes as (
    select * from {{ ref('stg_cta_actions__outcomes') }}
),

overrides as (
    select * from {{ ref('stg_cs_inputs__overrides') }}
),

pulses as (
    select * from {{ ref('stg_cs_inputs__pulse') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

labels as (
    select * from {{ ref('code_labels') }}
),

activity_events as (
    select
        'activity' as kind,
        activities.activity_id as source_id,
        activities.account_id,
        activities.occurred_at as event_at,
        coalesce(type_label.label_ja, activities.activity_type) as title,
        role_label.label_ja as detail,
        activities.owner as actor
    from activities
    left join contacts
        on activities.contact_id = contacts.contact_id
    left join labels as type_label
        on
            type_label.code_kind = 'activity_type'
            and activities.activity_type = type_label.code
    left join labels as role_label
        on
            role_label.code_kind = 'contact_role'
            and contacts.role = role_label.code
),

ticket_events as (
    select
        'ticket' as kind,
        tickets.ticket_id as source_id,
        tickets.account_id,
        tickets.created_at as event_at,
        tickets.subject as title,
        {{ dbt.concat([
            "coalesce(priority_label.label_ja, tickets.priority)", "' · '",
            "coalesce(status_label.label_ja, tickets.status)"
        ]) }} as detail,
        role_label.label_ja as actor
    from tickets
    left join contacts
        on tickets.requester_contact_id = contacts.contact_id
    left join labels as priority_label
        on
            priority_label.code_kind = 'ticket_priority'
            and tickets.priority = priority_label.code
    left join labels as status_label
        on
            status_label.code_kind = 'ticket_status'
            and tickets.status = status_label.code
    left join labels as role_label
        on
            role_label.code_kind = 'contact_role'
            and contacts.role = role_label.code
    where tickets.account_id is not null
),

nps_events as (
    select
        'nps' as kind,
        nps.response_id as source_id,
        nps.account_id,
        nps.responded_at as event_at,
        {{ dbt.concat([
            "'NPS '", "cast(nps.score as " ~ dbt.type_string() ~ ")",
            "' · '", "coalesce(category_label.label_ja, nps.nps_category)"
        ]) }} as title,
        nps.comment as detail,
        role_label.label_ja as actor
    from nps
    left join contacts
        on nps.contact_id = contacts.contact_id
    left join labels as category_label
        on
            category_label.code_kind = 'nps_category'
            and nps.nps_category = category_label.code
    left join labels as role_label
        on
            role_label.code_kind = 'contact_role'
            and contacts.role = role_label.code
    where nps.account_id is not null
),

seminar_events as (
    select
        'seminar' as kind,
        seminars.registration_id as source_id,
        seminars.account_id,
        seminars.held_at as event_at,
        seminars.title,
        coalesce(category_label.label_ja, seminars.category) as detail,
        role_label.label_ja as actor
    from seminars
    left join contacts
        on seminars.contact_id = contacts.contact_id
    left join labels as category_label
        on
            category_label.code_kind = 'seminar_category'
            and seminars.category = category_label.code
    left join labels as role_label
        on
            role_label.code_kind = 'contact_role'
            and contacts.role = role_label.code
    where seminars.account_id is not null and seminars.attended
),

cta_raised_events as (
    select
        'cta_raised' as kind,
        ctas.cta_id as source_id,
        ctas.account_id,
        cast(ctas.triggered_on as timestamp) as event_at,
        coalesce(type_label.label_ja, ctas.cta_type) as title,
        ctas.reason as detail,
        coalesce(ctas.owner, role_label.label_ja, ctas.owner_role) as actor
    from ctas
    left join labels as type_label
        on
            type_label.code_kind = 'cta_type'
            and ctas.cta_type = type_label.code
    left join labels as role_label
        on
            role_label.code_kind = 'owner_role'
            and ctas.owner_role = role_label.code
),

cta_outcome_events as (
    select
        'cta_outcome' as kind,
        {{ dbt.concat([
            "outcomes.cta_id", "'|'", "cast(outcomes.recorded_at as " ~ dbt.type_string() ~ ")"
        ]) }} as source_id,
        ctas.account_id,
        outcomes.recorded_at as event_at,
        {{ dbt.concat([
            "coalesce(outcome_label.label_ja, outcomes.outcome)", "' · '",
            "coalesce(type_label.label_ja, ctas.cta_type)"
        ]) }} as title,
        case
            when reason_label.label_ja is not null and outcomes.note is not null
                then {{ dbt.concat(["reason_label.label_ja", "' · '", "outcomes.note"]) }}
            else coalesce(reason_label.label_ja, outcomes.reason_code, outcomes.note)
        end as detail,
        outcomes.recorded_by as actor
    from outcomes
    inner join ctas
        on outcomes.cta_id = ctas.cta_id
    left join labels as outcome_label
        on
            outcome_label.code_kind = 'cta_outcome'
            and outcomes.outcome = outcome_label.code
    left join labels as type_label
        on
            type_label.code_kind = 'cta_type'
            and ctas.cta_type = type_label.code
    left join labels as reason_label
        on
            reason_label.code_kind = 'close_reason'
            and outcomes.reason_code = reason_label.code
),

override_events as (
    select
        'override' as kind,
        override_id as source_id,
        account_id,
        set_at as event_at,
        {{ dbt.concat([
            "'スコア '", "cast(override_score as " ~ dbt.type_string() ~ ")",
            "'（'", "cast(expires_on as " ~ dbt.type_string() ~ ")", "' まで）'"
        ]) }} as title,
        reason as detail,
        set_by as actor
    from overrides
),

pulse_events as (
    select
        'pulse' as kind,
        pulses.pulse_id as source_id,
        pulses.account_id,
        pulses.recorded_at as event_at,
        {{ dbt.concat([
            "cast(pulses.pulse as " ~ dbt.type_string() ~ ")", "' / 5 · '",
            "coalesce(pulse_label.label_ja, cast(pulses.pulse as " ~ dbt.type_string() ~ "))"
        ]) }} as title,
        pulses.note as detail,
        pulses.recorded_by as actor
    from pulses
    left join labels as pulse_label
        on
            pulse_label.code_kind = 'pulse_level'
            and cast(pulses.pulse as {{ dbt.type_string() }}) = pulse_label.code
),

events as (
    select * from activity_events
    union all
    select * from ticket_events
    union all
    select * from nps_events
    union all
    select * from seminar_events
    union all
    select * from cta_raised_events
    union all
    select * from cta_outcome_events
    union all
    select * from override_events
    union all
    select * from pulse_events
),

final as (
    select
        {{ dbt.hash(dbt.concat(['events.kind', "'|'", 'events.source_id'])) }} as event_id,
        events.account_id,
        accounts.segment,
        events.kind,
        events.event_at,
        cast(events.event_at as date) as event_on,
        events.title,
        events.detail,
        events.actor,
        events.source_id
    from events
    left join accounts
        on events.account_id = accounts.account_id
)

select * from final
