-- Every call to action raised (CONTRACT sections 3, 6 and 10): the CTA ledger
-- (int_cta_ledger, whose fields are frozen when a CTA is raised) with what follows the
-- data: its status from the latest recorded outcome, and its owner (the account's CSM
-- today, for playbooks owned by the CSM). An outcome recorded against a CTA always finds
-- it, whatever later runs do. Also what follows D: whether it is overdue, and D itself; and
-- the record that raised it (source_kind, source_id, frozen in the ledger).
--
-- Status (sections 6 and 11), the first that applies:
--   latest outcome contacted / no_response / won / lost -> done; dismissed -> dismissed;
--   snoozed -> snoozed while D < its snooze_until, then open again (and counted as open:
--   overdue once past due_on);
--   no outcome and triggered_on before D - (cta_open_days - 1) -> expired;
--   no outcome, the rule is enabled with auto_resolve true (seed cta_rules), the account
--   was evaluated at the latest evaluated date and the rule did not fire for it there
--   (regardless of cooldown: int_cta_signals holds every firing) -> resolved;
--   else open.
-- expired comes before resolved: expired is judged on the CTA's age alone, so an old CTA
-- nobody took up stays expired whatever its rule does today; resolved is a reading of the
-- present (the latest evaluated date) and only relieves a CTA still waiting for action.
-- Otherwise every old CTA of an auto_resolve rule would flip between expired and resolved
-- with today's data. An account not evaluated at the latest date (no longer active) and a
-- disabled rule tell nothing about the rule holding: such CTAs are not resolved.

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

rules as (
    select * from {{ ref('cta_rules') }}
),

signals as (
    select * from {{ ref('int_cta_signals') }}
),

evaluation_snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
),

-- the latest evaluated date: the last of this build's evaluation dates (a new date, or the
-- recheck of the latest date already evaluated; int_cta_evaluation_dates)
latest_evaluation as (
    select max(snapshot_date) as evaluated_on
    from {{ ref('int_cta_evaluation_dates') }}
),

-- the accounts evaluated at the latest evaluated date
evaluated_accounts as (
    select distinct evaluation_snapshots.account_id
    from evaluation_snapshots
    inner join latest_evaluation
        on evaluation_snapshots.snapshot_date = latest_evaluation.evaluated_on
),

-- the rules that hold (fire) for an account at the latest evaluated date, raised or not
rules_holding as (
    select distinct
        signals.account_id,
        signals.cta_type
    from signals
    inner join latest_evaluation
        on signals.snapshot_date = latest_evaluation.evaluated_on
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
        reason_code,
        snooze_until,
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
        latest_outcomes.reason_code as close_reason_code,
        latest_outcomes.snooze_until,
        latest_evaluation.evaluated_on as latest_evaluated_on,
        case
            when rules.enabled and evaluated_accounts.account_id is not null
                then rules_holding.account_id is not null
        end as is_rule_holding,
        case
            when latest_outcomes.outcome in ('contacted', 'no_response', 'won', 'lost') then 'done'
            when latest_outcomes.outcome = 'dismissed' then 'dismissed'
            when latest_outcomes.outcome = 'snoozed' and as_of.as_of_date < latest_outcomes.snooze_until
                then 'snoozed'
            when latest_outcomes.outcome = 'snoozed' then 'open'
            when ledger.triggered_on < {{ add_days('as_of.as_of_date', 1 - var('cta_open_days', 30)) }} then 'expired'
            when
                latest_outcomes.outcome is null
                and rules.auto_resolve
                and rules.enabled
                and evaluated_accounts.account_id is not null
                and rules_holding.account_id is null
                then 'resolved'
            else 'open'
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
    cross join latest_evaluation
    left join accounts
        on ledger.account_id = accounts.account_id
    left join playbooks
        on ledger.playbook_id = playbooks.playbook_id
    left join latest_outcomes
        on
            ledger.cta_id = latest_outcomes.cta_id
            and latest_outcomes.outcome_rank = 1
    left join rules
        on ledger.cta_type = rules.cta_type
    left join evaluated_accounts
        on ledger.account_id = evaluated_accounts.account_id
    left join rules_holding
        on
            ledger.account_id = rules_holding.account_id
            and ledger.cta_type = rules_holding.cta_type
),

-- overdue: still open (a snoozed CTA counts once its snooze has passed: its status is open
-- again; while snoozed it is not overdue) and its due date is before D
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
