-- One row per active account and snapshot date: the four DEAR dimension scores, the
-- health score (weighted mean of the dimensions present, weights re-normalised) and its
-- tier from seed health_tiers: the highest min_score <= the unrounded score (reading 9),
-- or the tier without min_score (unknown) when no dimension has a score (macro
-- health_tier_select).

with

metric_scores as (
    select * from {{ ref('int_health_metric_scores') }}
),

dimension_scores as (
    select distinct
        account_id,
        snapshot_date,
        dimension,
        dimension_weight,
        dimension_score
    from metric_scores
),

account_scores as (
    select
        account_id,
        snapshot_date,
        max(case when dimension = 'deployment' then dimension_score end) as deployment_score,
        max(case when dimension = 'engagement' then dimension_score end) as engagement_score,
        max(case when dimension = 'adoption' then dimension_score end) as adoption_score,
        max(case when dimension = 'roi' then dimension_score end) as roi_score,
        count(dimension_score) as dimensions_scored,
        {{ fixed_precision_ratio(
            'sum(case when dimension_score is not null then dimension_weight * dimension_score end)',
            'nullif(sum(case when dimension_score is not null then dimension_weight end), 0)'
        ) }}
            as health_score
    from dimension_scores
    group by account_id, snapshot_date
),

metric_counts as (
    select
        account_id,
        snapshot_date,
        count(score) as metrics_scored,
        count(*) as metrics_total
    from metric_scores
    group by account_id, snapshot_date
),

tiered as (
    {{ health_tier_select('account_scores', ['account_id', 'snapshot_date'], 'health_score') }}
),

final as (
    select
        account_scores.account_id,
        account_scores.snapshot_date,
        account_scores.deployment_score,
        account_scores.engagement_score,
        account_scores.adoption_score,
        account_scores.roi_score,
        account_scores.health_score,
        tiered.tier as health_tier,
        account_scores.dimensions_scored,
        metric_counts.metrics_scored,
        metric_counts.metrics_total
    from account_scores
    inner join metric_counts
        on
            account_scores.account_id = metric_counts.account_id
            and account_scores.snapshot_date = metric_counts.snapshot_date
    inner join tiered
        on
            account_scores.account_id = tiered.account_id
            and account_scores.snapshot_date = tiered.snapshot_date
)

select * from final
