-- The explanation of the health score (CONTRACT section 3): one row per active account,
-- snapshot date and enabled metric, with the metric's value, score, effective weight
-- (its share of the health score after re-normalisation; 0 without a value) and
-- contribution (score * weight; the contributions of a snapshot sum to health_score),
-- and how the score moved over the last 28 days. Labels, thresholds and seed weights
-- of each metric: dim_health_metrics.

with

metric_scores as (
    select * from {{ ref('int_health_metric_scores') }}
),

final as (
    select
        current_scores.account_id,
        current_scores.snapshot_date,
        current_scores.dimension,
        current_scores.metric,
        current_scores.value,
        current_scores.score,
        current_scores.weight,
        current_scores.contribution,
        current_scores.score - earlier_scores.score as score_change_28d,
        current_scores.value - earlier_scores.value as value_change_28d,
        current_scores.contribution - earlier_scores.contribution as contribution_change_28d,
        100.0 * current_scores.weight - current_scores.contribution as points_missing,
        current_scores.dimension_score
    from metric_scores as current_scores
    left join metric_scores as earlier_scores
        on
            current_scores.account_id = earlier_scores.account_id
            and current_scores.metric = earlier_scores.metric
            and earlier_scores.snapshot_date = cast(
                {{ dbt.dateadd('day', '-' ~ health_change_days(), 'current_scores.snapshot_date') }}
                as date
            )
)

select * from final
