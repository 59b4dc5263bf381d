-- The CTA ledger (CONTRACT sections 6 and 10): every call to action ever raised, with the
-- fields frozen when it was raised. A build evaluates the rules at the dates of
-- int_cta_evaluation_dates, in date order, and raises a CTA where a rule fires and no CTA
-- of that type was raised for the account at S' with S - S' < cooldown_days (reading 10),
-- counting every CTA already in the ledger. Raised CTAs are appended, never rewritten: their
-- cta_id, triggered_on, reason, metric_value, threshold, priority, playbook_id and due_on
-- stay as they were, and so do source_kind and source_id (the record that raised it).
-- fct_cta_candidates adds what follows the data (status, owner). A ledger written before
-- a column existed gains it with null in its old rows (on_schema_change
-- append_new_columns): what raised an old CTA is not guessed afterwards.
--
-- full_refresh: false, so a plain `dbt build --full-refresh` keeps the ledger that people's
-- outcomes point at. It is replayed from scratch (same inputs and D, same ledger) on its
-- first build, by `cswh run --full-refresh` and when D moves before the latest evaluated
-- date (macro cta_ledger_replay_reason); the post-hook records the evaluated dates in
-- meta.cta_evaluations in the same transaction.
{% set replay = cta_ledger_replay_reason() %}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
        on_schema_change='append_new_columns',
        pre_hook="{{ cta_ledger_before_build() }}",
        post_hook=["{{ cta_ledger_clear_evaluations() }}", "{{ cta_ledger_after_build() }}"],
    )
}}
-- depends_on: {{ ref('int_cta_evaluation_dates') }}

with recursive

-- the firings at the dates this build evaluates for the first time (a recheck date only
-- tells fct_cta_candidates which rules still hold: nothing is raised there)
signals as (
    select * from {{ ref('int_cta_signals') }}
    where not is_recheck
),

snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
),

playbooks as (
    select * from {{ ref('dim_playbooks') }}
),

-- the latest CTA of each account and type already in the ledger: the cooldown counts it
raised_before as (
    {% if is_incremental() and replay is none %}
        select
            account_id,
            cta_type,
            max(triggered_on) as last_raised_on
        from {{ this }}
        group by account_id, cta_type
    {% else %}
        select
            cast(null as string) as account_id,
            cast(null as string) as cta_type,
            cast(null as date) as last_raised_on
        where 1 = 0
    {% endif %}
),

-- replayed per account and rule in date order with a recursive CTE over the numbered
-- firings (firing_number from int_cta_signals: each step is an equality join), starting
-- from the ledger's latest CTA of that account and rule
replay as (
    select
        signals.account_id,
        signals.cta_type,
        signals.firing_number,
        signals.snapshot_date,
        coalesce({{ days_between('raised_before.last_raised_on', 'signals.snapshot_date') }} >= signals.cooldown_days, true)
            as is_raised,
        case
            when coalesce({{ days_between('raised_before.last_raised_on', 'signals.snapshot_date') }} >= signals.cooldown_days, true)
                then signals.snapshot_date
            else raised_before.last_raised_on
        end as last_raised_on
    from signals
    left join raised_before
        on signals.account_id = raised_before.account_id
            and signals.cta_type = raised_before.cta_type
    where signals.firing_number = 1

    union all

    select
        signals.account_id,
        signals.cta_type,
        signals.firing_number,
        signals.snapshot_date,
        {{ days_between('replay.last_raised_on', 'signals.snapshot_date') }} >= signals.cooldown_days as is_raised,
        case
            when {{ days_between('replay.last_raised_on', 'signals.snapshot_date') }} >= signals.cooldown_days
                then signals.snapshot_date
            else replay.last_raised_on
        end as last_raised_on
    from replay
    inner join signals
        on replay.account_id = signals.account_id
            and replay.cta_type = signals.cta_type
            and signals.firing_number = replay.firing_number + 1
),

final as (
    select
        md5(signals.account_id || '|' || signals.cta_type || '|' || cast(signals.snapshot_date as string)) as cta_id,
        signals.account_id,
        signals.cta_type,
        signals.direction,
        signals.snapshot_date as triggered_on,
        signals.reason,
        signals.metric_value,
        signals.threshold,
        signals.priority,
        playbooks.playbook_id,
        {{ add_days('signals.snapshot_date', 'playbooks.sla_days') }} as due_on,
        snapshots.segment as segment_at_trigger,
        snapshots.contract_id as contract_id_at_trigger,
        ({{ raising_run_id() }}) as raised_in_run_id,
        (select {{ as_of_date() }}) as raised_as_of,
        {{ build_started_at() }} as raised_at,
        signals.source_kind,
        signals.source_id
    from replay
    inner join signals
        on replay.account_id = signals.account_id
            and replay.cta_type = signals.cta_type
            and replay.snapshot_date = signals.snapshot_date
    inner join snapshots
        on signals.account_id = snapshots.account_id
            and signals.snapshot_date = snapshots.snapshot_date
    left join playbooks
        on signals.cta_type = playbooks.cta_type
            and snapshots.segment = playbooks.segment
    where replay.is_raised
)

select * from final
