-- Quota consumption and pace per active account and snapshot date S (CONTRACT section 4,
-- reading 3). The current contract year starts at contract_year_start (the contract's
-- start_date or its latest anniversary <= S, from int_account_snapshots).
--   contract_year_core_events = core_action events from contract_year_start through S
--   quota_consumption         = contract_year_core_events / annual_quota
--   quota_pace                = quota_consumption / ((S - contract_year_start + 1) / N),
--                               N = health_metrics.window_days of quota_pace (365)
-- Null when annual_quota is 0. Events through S are accumulated over snapshot periods;
-- the events before each contract-year start are subtracted.

with

snapshot_dates as (
    select * from {{ ref('int_snapshot_batch_dates') }}
),

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

account_feature_days as (
    select * from {{ ref('int_usage_account_feature_day') }}
),

health_metrics as (
    select * from {{ ref('health_metrics') }}
),

contract_year as (
    select max(case when metric = 'quota_pace' then window_days end) as year_days
    from health_metrics
),

-- Consumption counts events from a contract-year start through S: events before the
-- earliest year start of the batch cancel out of both sums, so they are never read (a
-- daily build reads about a year of usage, whatever the length of the history).
core_days as (
    select
        account_id,
        activity_date,
        sum(event_count) as core_action_events
    from account_feature_days
    where
        feature = 'core_action'
        and account_feature_days.activity_date >= (select min(account_snapshots.contract_year_start) from account_snapshots)
        and account_feature_days.activity_date <= (select max(account_snapshots.snapshot_date) from account_snapshots)
    group by account_id, activity_date
),

-- each event day mapped to the snapshot whose period holds it: a small day x snapshot
-- map, so the events themselves need only an equality join
core_days_day_periods as (
    {{ snapshot_period_map('core_days', 'activity_date') }}
),

period_events as (
    select
        core_days.account_id,
        core_days_day_periods.snapshot_date,
        sum(core_days.core_action_events) as core_action_events
    from core_days
    inner join core_days_day_periods
        on core_days.activity_date = core_days_day_periods.activity_date
    group by core_days.account_id, core_days_day_periods.snapshot_date
),

events_through_snapshot as (
    {{ running_at_snapshots('period_events', 'account_snapshots', [('sum', 'core_action_events', 'core_action_events')]) }}
),

year_starts as (
    select distinct
        account_id,
        contract_year_start
    from account_snapshots
    where contract_year_start is not null
),

events_before_year_start as (
    select
        year_starts.account_id,
        year_starts.contract_year_start,
        coalesce(sum(core_days.core_action_events), 0) as core_action_events
    from year_starts
    left join core_days
        on
            year_starts.account_id = core_days.account_id
            and year_starts.contract_year_start > core_days.activity_date
    group by year_starts.account_id, year_starts.contract_year_start
),

consumption as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        account_snapshots.contract_year_start,
        account_snapshots.annual_quota,
        coalesce(events_through_snapshot.core_action_events, 0)
        - coalesce(events_before_year_start.core_action_events, 0) as contract_year_core_events,
        {{ dbt.datediff('account_snapshots.contract_year_start', 'account_snapshots.snapshot_date', 'day') }}
        + 1 as contract_year_days_elapsed
    from account_snapshots
    left join events_through_snapshot
        on
            account_snapshots.account_id = events_through_snapshot.account_id
            and account_snapshots.snapshot_date = events_through_snapshot.snapshot_date
    left join events_before_year_start
        on
            account_snapshots.account_id = events_before_year_start.account_id
            and account_snapshots.contract_year_start = events_before_year_start.contract_year_start
),

final as (
    select
        consumption.account_id,
        consumption.snapshot_date,
        consumption.contract_year_start,
        consumption.annual_quota,
        consumption.contract_year_core_events,
        consumption.contract_year_days_elapsed,
        cast(consumption.contract_year_core_events as double precision)
        / nullif(consumption.annual_quota, 0) as quota_consumption,
        (
            cast(consumption.contract_year_core_events as double precision)
            / nullif(consumption.annual_quota, 0)
        )
        / nullif(
            cast(consumption.contract_year_days_elapsed as double precision)
            / contract_year.year_days,
            0
        ) as quota_pace
    from consumption
    cross join contract_year
)

select * from final
