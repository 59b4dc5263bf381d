-- Every call to action raised (CONTRACT sections 3, 6 and 10): the CTA ledger
-- (int_cta_ledger, whose fields are frozen when a CTA is raised) with what follows the
-- data: its status from the latest recorded outcome, and its owner (the account's CSM
-- today, for playbooks owned by the CSM). An outcome recorded against a CTA always finds
-- it, whatever later runs do. Also what follows D: whether it is overdue, and D itself; and
-- the record that raised it (source_kind, source_id, frozen in the ledger).

with

ledger as (
    select * from {{ ref('int_cta_ledger') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

playbooks as (
    select * from {{ ref('dim_playbooks') }}
),

outcomes as (
    select * from {{ ref('stg_cta_actions__outcomes') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

latest_outcomes as (
    select
        cta_id,
        outcome,
        recorded_at,
        recorded_by,
        row_number() over (partition by cta_id order by recorded_at desc, outcome asc) as outcome_rank
    from outcomes
),

candidates as (
    select
        ledger.cta_id,
        ledger.account_id,
        ledger.cta_type,
        ledger.direction,
        ledger.triggered_on,
        ledger.reason,
        ledger.metric_value,
        ledger.threshold,
        ledger.priority,
        playbooks.owner_role,
        case when playbooks.owner_role = 'csm' then accounts.csm_owner end as owner,
        ledger.playbook_id,
        playbooks.channel,
        playbooks.action,
        ledger.due_on,
        latest_outcomes.outcome as latest_outcome,
        latest_outcomes.recorded_at as latest_outcome_at,
        latest_outcomes.recorded_by as latest_outcome_by,
        case
            when latest_outcomes.outcome in ('contacted', 'no_response', 'won', 'lost') then 'done'
            when latest_outcomes.outcome = 'dismissed' then 'dismissed'
            when latest_outcomes.outcome = 'snoozed' then 'open'
            when ledger.triggered_on >= {{ add_days('as_of.as_of_date', 1 - var('cta_open_days', 30)) }} then 'open'
            else 'expired'
        end as status,
        coalesce(latest_outcomes.outcome in ('contacted', 'no_response', 'won', 'lost'), false) as is_actioned,
        coalesce(latest_outcomes.outcome = 'won', false) as is_won,
        ledger.raised_in_run_id,
        ledger.raised_as_of,
        ledger.raised_at,
        {{ days_between('ledger.triggered_on', 'as_of.as_of_date') }} as age_days,
        ledger.segment_at_trigger as segment,
        ledger.contract_id_at_trigger,
        ledger.source_kind,
        ledger.source_id,
        as_of.as_of_date
    from ledger
    cross join as_of
    left join accounts
        on ledger.account_id = accounts.account_id
    left join playbooks
        on ledger.playbook_id = playbooks.playbook_id
    left join latest_outcomes
        on
            ledger.cta_id = latest_outcomes.cta_id
            and latest_outcomes.outcome_rank = 1
),

-- overdue: still open (a snoozed CTA counts once its snooze has passed: its status is open
-- again) and its due date is before D
final as (
    select
        candidates.*,
        coalesce(candidates.status = 'open' and candidates.due_on < candidates.as_of_date, false)
            as is_overdue,
        case
            when candidates.status = 'open' and candidates.due_on < candidates.as_of_date
                then {{ days_between('candidates.due_on', 'candidates.as_of_date') }}
        end as days_overdue
    from candidates
)

select * from final
