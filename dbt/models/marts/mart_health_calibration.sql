-- Does the health score predict? For every account snapshot S at least
-- outcome_horizon_days (180) before D, the tier at S and what followed within 180 days
-- (int_calibration_outcomes, reading 30). One row per tier of the health_tiers seed,
-- unknown included; a tier without snapshots has 0 snapshots and null rates.

with

tiers as (
    {{ labelled_seed('health_tiers', 'tier', 'health_tier') }}
),

health as (
    select * from {{ ref('fct_account_health') }}
),

outcomes as (
    select * from {{ ref('int_calibration_outcomes') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

observed as (
    select
        health.health_tier,
        health.account_id,
        outcomes.churned_180d,
        outcomes.expanded_180d
    from health
    inner join outcomes
        on
            health.account_id = outcomes.account_id
            and health.snapshot_date = outcomes.snapshot_date
    where outcomes.is_observable
),

per_tier as (
    select
        health_tier,
        count(*) as snapshots,
        count(distinct account_id) as accounts,
        sum(case when churned_180d then 1 else 0 end) as churned_180d,
        sum(case when expanded_180d then 1 else 0 end) as expanded_180d
    from observed
    group by health_tier
),

final as (
    select
        tiers.tier as health_tier,
        tiers.label_ja as health_tier_ja,
        tiers.sort_order,
        coalesce(per_tier.snapshots, 0) as snapshots,
        coalesce(per_tier.accounts, 0) as accounts,
        cast(coalesce(per_tier.churned_180d, 0) as bigint) as churned_180d,
        cast(coalesce(per_tier.expanded_180d, 0) as bigint) as expanded_180d,
        per_tier.churned_180d / cast(nullif(per_tier.snapshots, 0) as double) as churn_rate_180d,
        per_tier.expanded_180d / cast(nullif(per_tier.snapshots, 0) as double) as expansion_rate_180d,
        as_of.as_of_date
    from tiers
    cross join as_of
    left join per_tier
        on tiers.tier = per_tier.health_tier
)

select * from final
