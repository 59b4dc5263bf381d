-- CTA rules on quota consumption (reading 3): quota_80 and renewal_low_consumption.
-- Consumption at S = core_action events from the current contract year's start through
-- S / annual_quota, from the contract_year_consumption macro (the rule's one home, shared
-- with int_health_quota_metrics, so the value a rule compares is dim_accounts').

with

snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
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

contract_year_consumption as (
    {{ contract_year_consumption('quota_snapshots') }}
),

consumption as (
    select
        quota_snapshots.account_id,
        quota_snapshots.snapshot_date,
        quota_snapshots.days_to_renewal,
        quota_snapshots.annual_quota,
        contract_year_consumption.contract_year_core_events as core_events_this_year,
        contract_year_consumption.quota_consumption
    from quota_snapshots
    inner join contract_year_consumption
        on
            quota_snapshots.account_id = contract_year_consumption.account_id
            and quota_snapshots.snapshot_date = contract_year_consumption.snapshot_date
),

quota_80 as (
    select
        consumption.account_id,
        consumption.snapshot_date,
        rules.cta_type,
        consumption.quota_consumption as metric_value,
        rules.threshold,
        'Quota ' || {{ pct_text('consumption.quota_consumption') }} || ' used ('
        || cast(consumption.core_events_this_year as string) || ' of '
        || cast(consumption.annual_quota as string) || ' core actions this contract year) with '
        || cast(consumption.days_to_renewal as string) || ' days to renewal' as reason,
        'usage_state' as source_kind,
        cast(null as string) as source_id
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
        'Renewal in ' || cast(consumption.days_to_renewal as string) || ' days but only '
        || {{ pct_text('consumption.quota_consumption') }} || ' of the annual quota used ('
        || cast(consumption.core_events_this_year as string) || ' of '
        || cast(consumption.annual_quota as string) || ' core actions)' as reason,
        'contract_state' as source_kind,
        cast(null as string) as source_id
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
