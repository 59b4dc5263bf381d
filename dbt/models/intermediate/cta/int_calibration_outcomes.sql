-- What happened to each active account in the outcome_horizon_days (default 180) after
-- each snapshot date (reading 30). The single definition of "churned / expanded within
-- 180 days" used by mart_health_calibration (per health tier) and mart_cta_effectiveness
-- (the rules' backtest). The events themselves are marts.fct_account_events' (one
-- definition of churn, renewal and expansion); this model only places them in the window:
-- churned_180d  = the contract active at S has a churn event (reading 26: not renewed,
--                 end_date <= D) dated (its end_date) in S+1 .. S+180;
-- expanded_180d = the account has an event with is_expansion (a contract_change with
--                 delta_arr_jpy > 0, or a renewal above the previous contract's ARR with its
--                 amendments) dated in S+1 .. S+180.
-- is_observable = S <= D - 180, so the whole window lies in the known past (events exist
-- only up to D, so a window reaching past D sees only its part up to D).
-- The dates judged: every stored health snapshot (is_health_snapshot: calibration and base
-- rates) and every CTA's triggered_on with the contract active then (the rules' backtest;
-- a CTA outlives the health history and may date from a past run's current snapshot).

with

probes as (
    select
        account_id,
        snapshot_date,
        contract_id,
        true as is_health_snapshot
    from {{ ref('fct_account_health') }}

    union all

    select
        account_id,
        triggered_on as snapshot_date,
        contract_id_at_trigger as contract_id,
        false as is_health_snapshot
    from {{ ref('int_cta_ledger') }}
),

snapshots as (
    select
        account_id,
        snapshot_date,
        max(contract_id) as contract_id,
        max(case when is_health_snapshot then 1 else 0 end) = 1 as is_health_snapshot
    from probes
    group by account_id, snapshot_date
),

events as (
    select * from {{ ref('fct_account_events') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

horizon as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        snapshots.contract_id,
        snapshots.is_health_snapshot,
        {{ add_days('snapshots.snapshot_date', 1) }} as window_from,
        {{ add_days('snapshots.snapshot_date', var('outcome_horizon_days', 180)) }} as window_to,
        snapshots.snapshot_date <= {{ add_days('as_of.as_of_date', '0 - ' ~ var('outcome_horizon_days', 180)) }}
            as is_observable
    from snapshots
    cross join as_of
),

churned as (
    select
        horizon.account_id,
        horizon.snapshot_date,
        events.event_date as churned_on
    from horizon
    inner join events
        on horizon.contract_id = events.contract_id
    where
        events.event_type = 'churn'
        and events.event_date between horizon.window_from and horizon.window_to
),

expanded as (
    select
        horizon.account_id,
        horizon.snapshot_date,
        min(events.event_date) as first_expanded_on
    from horizon
    inner join events
        on
            horizon.account_id = events.account_id
            and events.event_date between horizon.window_from and horizon.window_to
    where events.is_expansion
    group by horizon.account_id, horizon.snapshot_date
),

final as (
    select
        horizon.account_id,
        horizon.snapshot_date,
        horizon.contract_id,
        horizon.is_observable,
        horizon.is_health_snapshot,
        churned.churned_on is not null as churned_180d,
        expanded.first_expanded_on is not null as expanded_180d,
        churned.churned_on,
        expanded.first_expanded_on
    from horizon
    left join churned
        on
            horizon.account_id = churned.account_id
            and horizon.snapshot_date = churned.snapshot_date
    left join expanded
        on
            horizon.account_id = expanded.account_id
            and horizon.snapshot_date = expanded.snapshot_date
)

select * from final
