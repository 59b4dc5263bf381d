-- Every call to action raised (CONTRACT sections 3 and 6): the cooldown replay of
-- int_cta_raised, routed by the playbook of the rule and the account's segment at
-- triggered_on, with its status from the latest recorded outcome.

with

raised as (
    select * from {{ ref('int_cta_raised') }}
),

snapshots as (
    select * from {{ ref('int_account_snapshots') }}
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
        row_number() over (partition by cta_id order by recorded_at desc, outcome) as outcome_rank,
    from outcomes
),

identified as (
    select
        md5(raised.account_id || '|' || raised.cta_type || '|' || cast(raised.triggered_on as varchar)) as cta_id,
        raised.*,
    from raised
),

routed as (
    select
        identified.cta_id,
        identified.account_id,
        identified.cta_type,
        identified.direction,
        identified.triggered_on,
        identified.reason,
        identified.metric_value,
        identified.threshold,
        identified.priority,
        playbooks.owner_role,
        case when playbooks.owner_role = 'csm' then snapshots.csm_owner end as owner,
        playbooks.playbook_id,
        playbooks.channel,
        playbooks.action,
        {{ add_days('identified.triggered_on', 'playbooks.sla_days') }} as due_on,
        snapshots.segment,
        latest_outcomes.outcome as latest_outcome,
        latest_outcomes.recorded_at as latest_outcome_at,
        latest_outcomes.recorded_by as latest_outcome_by,
        case
            when latest_outcomes.outcome in ('contacted', 'no_response', 'won', 'lost') then 'done'
            when latest_outcomes.outcome = 'dismissed' then 'dismissed'
            when latest_outcomes.outcome = 'snoozed' then 'open'
            when identified.triggered_on >= {{ add_days('as_of.as_of_date', 1 - var('cta_open_days', 30)) }} then 'open'
            else 'expired'
        end as status,
        coalesce(latest_outcomes.outcome in ('contacted', 'no_response', 'won', 'lost'), false) as is_actioned,
        coalesce(latest_outcomes.outcome = 'won', false) as is_won,
    from identified
    cross join as_of
    left join snapshots
        on identified.account_id = snapshots.account_id
        and identified.triggered_on = snapshots.snapshot_date
    left join playbooks
        on identified.cta_type = playbooks.cta_type
        and snapshots.segment = playbooks.segment
    left join latest_outcomes
        on identified.cta_id = latest_outcomes.cta_id
        and latest_outcomes.outcome_rank = 1
)

select * from routed
