-- Scores each metric value and works out its effective weight (CONTRACT section 4,
-- reading 25):
--   score     = 100 * clamp((value - red_at) / (green_at - red_at), 0, 1), null without a value
--   dimension score = weighted mean of the dimension's metrics that have a score
--   health score    = weighted mean of the dimensions that have a score (re-normalised)
--   weight    = the metric's share of the health score after re-normalisation
--               = (dimension weight / weights of the dimensions present)
--                 * (metric weight / weights of the dimension's metrics with a score);
--               0 for a metric without a score, so the weights sum to 1 wherever any
--               metric has a score
--   contribution = score * weight (0 without a score); contributions sum to the health score
-- Scores and the weights summed are kept at fixed precision (macro fixed_precision), so
-- the sums below are exact and do not depend on the order of parallel aggregation.

with

metric_values as (
    select * from {{ ref('int_health_metric_values') }}
),

health_metrics as (
    select * from {{ ref('health_metrics') }}
),

health_dimensions as (
    select * from {{ ref('health_dimensions') }}
),

scaled as (
    select
        metric_values.account_id,
        metric_values.snapshot_date,
        metric_values.dimension,
        metric_values.metric,
        metric_values.value,
        health_metrics.red_at,
        health_metrics.green_at,
        {{ fixed_precision('health_metrics.weight') }} as metric_weight,
        {{ fixed_precision('health_dimensions.weight') }} as dimension_weight,
        (metric_values.value - health_metrics.red_at)
        / nullif(health_metrics.green_at - health_metrics.red_at, 0) as position
    from metric_values
    inner join health_metrics
        on metric_values.metric = health_metrics.metric
    inner join health_dimensions
        on metric_values.dimension = health_dimensions.dimension
),

scored as (
    select
        *,
        {{ fixed_precision('''case
            when position is null then null
            when position <= 0 then 0.0
            when position >= 1 then 100.0
            else 100.0 * position
        end''') }} as score
    from scaled
),

-- per dimension: the weight of its scored metrics and its weighted mean score
dimension_totals as (
    select
        account_id,
        snapshot_date,
        dimension,
        max(dimension_weight) as dimension_weight,
        sum(case when score is not null then metric_weight else 0 end) as dimension_scored_weight,
        sum(case when score is not null then metric_weight * score else 0 end)
            as dimension_weighted_score
    from scored
    group by account_id, snapshot_date, dimension
),

-- per account snapshot: the total weight of the dimensions present
account_totals as (
    select
        account_id,
        snapshot_date,
        sum(case when dimension_scored_weight > 0 then dimension_weight else 0 end)
            as present_dimension_weight
    from dimension_totals
    group by account_id, snapshot_date
),

dimension_shares as (
    select
        dimension_totals.account_id,
        dimension_totals.snapshot_date,
        dimension_totals.dimension,
        dimension_totals.dimension_scored_weight,
        case
            when dimension_totals.dimension_scored_weight > 0
                then
                    {{ fixed_precision_ratio('dimension_totals.dimension_weighted_score', 'dimension_totals.dimension_scored_weight') }}
        end as dimension_score,
        account_totals.present_dimension_weight
    from dimension_totals
    inner join account_totals
        on
            dimension_totals.account_id = account_totals.account_id
            and dimension_totals.snapshot_date = account_totals.snapshot_date
),

with_present_weight as (
    select
        scored.*,
        dimension_shares.dimension_scored_weight,
        dimension_shares.dimension_score,
        dimension_shares.present_dimension_weight
    from scored
    inner join dimension_shares
        on
            scored.account_id = dimension_shares.account_id
            and scored.snapshot_date = dimension_shares.snapshot_date
            and scored.dimension = dimension_shares.dimension
),

final as (
    select
        account_id,
        snapshot_date,
        dimension,
        metric,
        value,
        red_at,
        green_at,
        score,
        metric_weight,
        dimension_weight,
        dimension_score,
        -- per row, so deterministic as they are (no sum to make exact)
        case
            when score is not null and dimension_scored_weight > 0 and present_dimension_weight > 0
                then
                    (cast(dimension_weight as double) / cast(present_dimension_weight as double))
                    * (cast(metric_weight as double) / cast(dimension_scored_weight as double))
            else 0.0
        end as weight,
        case
            when score is not null and dimension_scored_weight > 0 and present_dimension_weight > 0
                then
                    cast(score as double)
                    * (cast(dimension_weight as double) / cast(present_dimension_weight as double))
                    * (cast(metric_weight as double) / cast(dimension_scored_weight as double))
            else 0.0
        end as contribution
    from with_present_weight
)

select * from final
