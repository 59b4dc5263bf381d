-- What happened to each active account in the outcome_horizon_days (default 180) after
-- each snapshot date (reading 30). The single definition of "churned / expanded within
-- 180 days" used by mart_health_calibration (per health tier) and mart_cta_effectiveness
-- (the rules' backtest):
-- churned_180d  = the contract active at S churned (reading 26: not renewed, end_date <= D)
--                 with end_date in S+1 .. S+180;
-- expanded_180d = a contract_change with delta_arr_jpy > 0 in S+1 .. S+180, or a renewal
--                 starting in that window with arr_jpy above the previous contract's
--                 (with its amendments).
-- is_observable = S <= D - 180, so the whole window lies in the known past.
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

contracts as (
    select * from {{ ref('int_contracts') }}
),

contract_changes as (
    select * from {{ ref('stg_crm__contract_changes') }}
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
        contracts.end_date as churned_on
    from horizon
    inner join contracts
        on horizon.contract_id = contracts.contract_id
    where
        contracts.is_churned_as_of_d
        and contracts.end_date between horizon.window_from and horizon.window_to
),

arr_increases as (
    select
        account_id,
        changed_at as expanded_on
    from contract_changes
    where delta_arr_jpy > 0

    union all

    select
        account_id,
        next_start_date as expanded_on
    from contracts
    where
        is_renewed
        and next_start_date is not null
        and next_arr_jpy > arr_jpy_at_end
),

expanded as (
    select
        horizon.account_id,
        horizon.snapshot_date,
        min(arr_increases.expanded_on) as first_expanded_on
    from horizon
    inner join arr_increases
        on
            horizon.account_id = arr_increases.account_id
            and arr_increases.expanded_on between horizon.window_from and horizon.window_to
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
