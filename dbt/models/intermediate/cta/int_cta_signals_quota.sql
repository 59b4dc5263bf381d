-- CTA rules on quota consumption (reading 3): quota_80 and renewal_low_consumption.
-- Consumption at S = core_action events from the current contract year's start through
-- S / annual_quota. Computed set-wise with a running total per account: probe rows at S
-- and at the day before the contract year start are interleaved with the account-day
-- events, so one window pass gives both cumulative sums (no per-snapshot range scan).

with

snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
),

user_days as (
    select * from {{ ref('int_usage_user_day') }}
),

rules as (
    select * from {{ ref('cta_rules') }}
    where enabled and cta_type in ('quota_80', 'renewal_low_consumption')
),

quota_snapshots as (
    select
        account_id,
        snapshot_date,
        contract_year_start,
        days_to_renewal,
        annual_quota
    from snapshots
    where annual_quota > 0
),

-- events before the earliest contract-year start cancel out of both running sums: not read
account_days as (
    select
        account_id,
        activity_date,
        sum(core_action_events) as core_events
    from user_days
    where
        core_action_events > 0
        and user_days.activity_date >= (select min(quota_snapshots.contract_year_start) from quota_snapshots)
        and user_days.activity_date <= (select max(quota_snapshots.snapshot_date) from quota_snapshots)
    group by account_id, activity_date
),

timeline as (
    select
        account_id,
        activity_date as on_date,
        core_events,
        cast(null as date) as snapshot_date,
        cast(null as varchar) as probe
    from account_days
    where account_days.account_id in (select quota_snapshots.account_id from quota_snapshots)

    union all

    select
        account_id,
        snapshot_date as on_date,
        0 as core_events,
        snapshot_date,
        'at_snapshot' as probe
    from quota_snapshots

    union all

    select
        account_id,
        {{ add_days('contract_year_start', -1) }} as on_date,
        0 as core_events,
        snapshot_date,
        'before_year_start' as probe
    from quota_snapshots
),

running as (
    select
        account_id,
        snapshot_date,
        probe,
        sum(core_events) over (
            partition by account_id
            order by on_date
            range between unbounded preceding and current row
        ) as cumulative_core_events
    from timeline
),

consumption as (
    select
        quota_snapshots.account_id,
        quota_snapshots.snapshot_date,
        quota_snapshots.days_to_renewal,
        quota_snapshots.annual_quota,
        at_s.cumulative_core_events - before_year.cumulative_core_events as core_events_this_year,
        (at_s.cumulative_core_events - before_year.cumulative_core_events)
        / cast(quota_snapshots.annual_quota as double) as quota_consumption
    from quota_snapshots
    inner join running as at_s
        on
            quota_snapshots.account_id = at_s.account_id
            and quota_snapshots.snapshot_date = at_s.snapshot_date
            and at_s.probe = 'at_snapshot'
    inner join running as before_year
        on
            quota_snapshots.account_id = before_year.account_id
            and quota_snapshots.snapshot_date = before_year.snapshot_date
            and before_year.probe = 'before_year_start'
),

quota_80 as (
    select
        consumption.account_id,
        consumption.snapshot_date,
        rules.cta_type,
        consumption.quota_consumption as metric_value,
        rules.threshold,
        'Quota ' || {{ pct_text('consumption.quota_consumption') }} || ' used ('
        || cast(consumption.core_events_this_year as varchar) || ' of '
        || cast(consumption.annual_quota as varchar) || ' core actions this contract year) with '
        || cast(consumption.days_to_renewal as varchar) || ' days to renewal' as reason,
        'usage_state' as source_kind,
        cast(null as varchar) as source_id
    from consumption
    inner join rules
        on rules.cta_type = 'quota_80'
    where consumption.quota_consumption >= rules.threshold
),

renewal_low_consumption as (
    select
        consumption.account_id,
        consumption.snapshot_date,
        rules.cta_type,
        consumption.quota_consumption as metric_value,
        rules.threshold,
        'Renewal in ' || cast(consumption.days_to_renewal as varchar) || ' days but only '
        || {{ pct_text('consumption.quota_consumption') }} || ' of the annual quota used ('
        || cast(consumption.core_events_this_year as varchar) || ' of '
        || cast(consumption.annual_quota as varchar) || ' core actions)' as reason,
        'contract_state' as source_kind,
        cast(null as varchar) as source_id
    from consumption
    inner join rules
        on rules.cta_type = 'renewal_low_consumption'
    where
        consumption.days_to_renewal between rules.day_from and rules.day_to
        and consumption.quota_consumption < rules.threshold
),

final as (
    select * from quota_80
    union all
    select * from renewal_low_consumption
)

select * from final
