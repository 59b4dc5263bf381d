-- Quota consumption and pace per active account and snapshot date S (CONTRACT section 4,
-- reading 3). The current contract year starts at contract_year_start (the contract's
-- start_date or its latest anniversary <= S, from int_account_snapshots).
--   contract_year_core_events = core_action events from contract_year_start through S
--   quota_consumption         = contract_year_core_events / annual_quota
--   quota_pace                = quota_consumption / ((S - contract_year_start + 1) / N),
--                               N = health_metrics.window_days of quota_pace (365)
-- Null when annual_quota is 0. contract_year_core_events and quota_consumption come from
-- the contract_year_consumption macro, the rule's one home (the CTA rules quota_80 and
-- renewal_low_consumption use it too).

with

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

health_metrics as (
    select * from {{ ref('health_metrics') }}
),

contract_year as (
    select max(case when metric = 'quota_pace' then window_days end) as year_days
    from health_metrics
),

contract_year_consumption as (
    {{ contract_year_consumption('account_snapshots') }}
),

consumption as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        account_snapshots.contract_year_start,
        account_snapshots.annual_quota,
        contract_year_consumption.contract_year_core_events,
        contract_year_consumption.quota_consumption,
        {{ dbt.datediff('account_snapshots.contract_year_start', 'account_snapshots.snapshot_date', 'day') }}
        + 1 as contract_year_days_elapsed
    from account_snapshots
    inner join contract_year_consumption
        on
            account_snapshots.account_id = contract_year_consumption.account_id
            and account_snapshots.snapshot_date = contract_year_consumption.snapshot_date
),

final as (
    select
        consumption.account_id,
        consumption.snapshot_date,
        consumption.contract_year_start,
        consumption.annual_quota,
        consumption.contract_year_core_events,
        consumption.contract_year_days_elapsed,
        consumption.quota_consumption,
        consumption.quota_consumption
        / nullif(
            cast(consumption.contract_year_days_elapsed as double)
            / contract_year.year_days,
            0
        ) as quota_pace
    from consumption
    cross join contract_year
)

select * from final
