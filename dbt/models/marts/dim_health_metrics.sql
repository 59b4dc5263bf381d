-- The health-score model as published for the dashboard and analysts: one row per
-- metric with its dimension, labels, thresholds, window and weights (the seed weights
-- and the dimension's nominal share of the score when every dimension is present).

with

health_metrics as (
    {{ labelled_seed('health_metrics', 'metric', 'health_metric') }}
),

health_dimensions as (
    {{ labelled_seed('health_dimensions', 'dimension', 'health_dimension') }}
),

dimension_totals as (
    select sum(weight) as total_dimension_weight
    from health_dimensions
),

final as (
    select
        health_metrics.metric,
        health_metrics.dimension,
        health_metrics.label_en,
        health_metrics.label_ja,
        health_metrics.unit,
        health_metrics.description,
        health_metrics.red_at,
        health_metrics.green_at,
        health_metrics.green_at < health_metrics.red_at as lower_is_better,
        health_metrics.window_days,
        health_metrics.enabled,
        health_metrics.weight as metric_weight,
        health_dimensions.weight as dimension_weight,
        health_dimensions.weight / nullif(dimension_totals.total_dimension_weight, 0)
            as dimension_share,
        health_dimensions.label_en as dimension_label_en,
        health_dimensions.label_ja as dimension_label_ja,
        health_dimensions.sort_order as dimension_sort_order
    from health_metrics
    inner join health_dimensions
        on health_metrics.dimension = health_dimensions.dimension
    cross join dimension_totals
)

select * from final
