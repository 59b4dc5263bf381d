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
        health_metrics.weight as metric_weight,
        health_dimensions.weight as dimension_weight,
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
        case
            when position is null then null
            when position <= 0 then 0.0
            when position >= 1 then 100.0
            else 100.0 * position
        end as score
    from scaled
),

dimension_weighted as (
    select
        *,
        sum(case when score is not null then metric_weight else 0 end) over (
            partition by account_id, snapshot_date, dimension
        ) as dimension_scored_weight,
        sum(case when score is not null then metric_weight * score else 0 end) over (
            partition by account_id, snapshot_date, dimension
        ) as dimension_weighted_score
    from scored
),

with_dimension_score as (
    select
        *,
        case
            when dimension_scored_weight > 0
                then dimension_weighted_score / dimension_scored_weight
        end as dimension_score,
        -- the dimension's weight counted once per dimension (on its first metric row)
        case
            when
                dimension_scored_weight > 0
                and row_number() over (
                    partition by account_id, snapshot_date, dimension order by metric
                ) = 1
                then dimension_weight
            else 0
        end as dimension_weight_if_present
    from dimension_weighted
),

with_present_weight as (
    select
        *,
        sum(dimension_weight_if_present) over (
            partition by account_id, snapshot_date
        ) as present_dimension_weight
    from with_dimension_score
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
        case
            when score is not null and dimension_scored_weight > 0 and present_dimension_weight > 0
                then
                    (dimension_weight / present_dimension_weight)
                    * (metric_weight / dimension_scored_weight)
            else 0.0
        end as weight,
        case
            when score is not null and dimension_scored_weight > 0 and present_dimension_weight > 0
                then
                    score
                    * (dimension_weight / present_dimension_weight)
                    * (metric_weight / dimension_scored_weight)
            else 0.0
        end as contribution
    from with_present_weight
)

select * from final
