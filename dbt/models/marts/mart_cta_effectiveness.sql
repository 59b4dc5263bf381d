-- Does each CTA rule work? Per cta_type: how many CTAs were raised, actioned and won,
-- and the rule's backtest over CTAs raised at least outcome_horizon_days (180) before D:
-- the share whose account churned / expanded within 180 days after triggered_on
-- (int_calibration_outcomes, the same definition as mart_health_calibration). The base
-- rates over all observable account snapshots are shown beside them, so a rule that
-- predicts nothing (lift ~ 1) shows it. Beside won: the CTAs lost and dismissed, and the
-- count of each other status (section 11); why they were lost or dismissed is split by
-- close reason in mart_cta_close_reasons (one row per rule and reason: the reasons are a
-- seed CS Ops extend, so a column per reason would change this mart's columns).

with

rules as (
    select * from {{ ref('cta_rules') }}
),

ctas as (
    select * from {{ ref('fct_cta_candidates') }}
),

outcomes as (
    select * from {{ ref('int_calibration_outcomes') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

usage as (
    select
        cta_type,
        count(*) as raised,
        sum(case when is_actioned then 1 else 0 end) as actioned,
        sum(case when is_won then 1 else 0 end) as won,
        sum(case when latest_outcome = 'lost' then 1 else 0 end) as lost,
        sum(case when status = 'open' then 1 else 0 end) as open_ctas,
        sum(case when status = 'expired' then 1 else 0 end) as expired_ctas,
        sum(case when status = 'dismissed' then 1 else 0 end) as dismissed_ctas,
        sum(case when status = 'snoozed' then 1 else 0 end) as snoozed_ctas,
        sum(case when status = 'resolved' then 1 else 0 end) as resolved_ctas
    from ctas
    group by cta_type
),

backtest as (
    select
        ctas.cta_type,
        count(*) as backtest_raised,
        sum(case when outcomes.churned_180d then 1 else 0 end) as backtest_churned,
        sum(case when outcomes.expanded_180d then 1 else 0 end) as backtest_expanded
    from ctas
    inner join outcomes
        on
            ctas.account_id = outcomes.account_id
            and ctas.triggered_on = outcomes.snapshot_date
    where outcomes.is_observable
    group by ctas.cta_type
),

base_rates as (
    select
        {{ share_where('churned_180d') }} as baseline_churn_rate_180d,
        {{ share_where('expanded_180d') }} as baseline_expansion_rate_180d
    from outcomes
    where is_observable and is_health_snapshot
),

final as (
    select
        rules.cta_type,
        rules.direction,
        rules.enabled,
        coalesce(usage.raised, 0) as raised,
        cast(coalesce(usage.actioned, 0) as bigint) as actioned,
        cast(coalesce(usage.won, 0) as bigint) as won,
        usage.won / cast(nullif(usage.actioned, 0) as double) as conversion_rate,
        cast(coalesce(usage.lost, 0) as bigint) as lost,
        cast(coalesce(usage.open_ctas, 0) as bigint) as open_ctas,
        cast(coalesce(usage.expired_ctas, 0) as bigint) as expired_ctas,
        cast(coalesce(usage.dismissed_ctas, 0) as bigint) as dismissed_ctas,
        cast(coalesce(usage.snoozed_ctas, 0) as bigint) as snoozed_ctas,
        cast(coalesce(usage.resolved_ctas, 0) as bigint) as resolved_ctas,
        coalesce(backtest.backtest_raised, 0) as backtest_raised,
        backtest.backtest_churned / cast(nullif(backtest.backtest_raised, 0) as double) as churn_rate_180d,
        backtest.backtest_expanded / cast(nullif(backtest.backtest_raised, 0) as double) as expansion_rate_180d,
        base_rates.baseline_churn_rate_180d,
        base_rates.baseline_expansion_rate_180d,
        (backtest.backtest_churned / cast(nullif(backtest.backtest_raised, 0) as double))
        / nullif(base_rates.baseline_churn_rate_180d, 0) as churn_lift,
        (backtest.backtest_expanded / cast(nullif(backtest.backtest_raised, 0) as double))
        / nullif(base_rates.baseline_expansion_rate_180d, 0) as expansion_lift,
        as_of.as_of_date
    from rules
    cross join base_rates
    cross join as_of
    left join usage
        on rules.cta_type = usage.cta_type
    left join backtest
        on rules.cta_type = backtest.cta_type
)

select * from final
