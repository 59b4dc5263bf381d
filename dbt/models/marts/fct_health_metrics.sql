-- The explanation of the health score (CONTRACT section 3): one row per active account,
-- history snapshot date and enabled metric, with the metric's value, score, effective
-- weight (its share of the health score after re-normalisation; 0 without a value) and
-- contribution (score * weight; the contributions of a snapshot sum to health_score), and
-- how it moved since the 28-day reference snapshot (reading 13), the contribution change
-- split into value_effect and weight_effect. Labels, thresholds and
-- seed weights of each metric: dim_health_metrics.
--
-- Incremental like fct_account_health (strategy history_batch): a build writes its batch
-- only; a reference row outside the batch is read from the rows already stored.
{{
    config(
        on_schema_change='sync_all_columns',
        **health_history_config()
    )
}}
-- depends_on: {{ ref('int_snapshot_dates') }}

with

metric_scores as (
    select * from {{ ref('int_health_metric_scores') }}
),

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

-- read on daily builds only
batch as (  -- noqa: ST03
    select * from {{ ref('int_snapshot_batch') }}
),

-- the metric rows a 28-day change can refer to: this batch's, then the stored ones it leaves
reference_scores as (
    select
        account_id,
        snapshot_date,
        metric,
        cast(value as double) as value,
        cast(score as double) as score,
        cast(weight as double) as weight,
        cast(contribution as double) as contribution
    from metric_scores
    {% if is_incremental() %}
        union all
        select
            stored.account_id,
            stored.snapshot_date,
            stored.metric,
            stored.value,
            stored.score,
            stored.weight,
            stored.contribution
        from {{ stored_outside_batch() }}
    {% endif %}
),

current_scores as (
    select
        metric_scores.account_id,
        metric_scores.snapshot_date,
        metric_scores.dimension,
        metric_scores.metric,
        cast(metric_scores.value as double) as value,
        cast(metric_scores.score as double) as score,
        cast(metric_scores.weight as double) as weight,
        cast(metric_scores.contribution as double) as contribution,
        cast(metric_scores.dimension_score as double) as dimension_score,
        account_snapshots.reference_snapshot_date
    from metric_scores
    inner join account_snapshots
        on
            metric_scores.account_id = account_snapshots.account_id
            and metric_scores.snapshot_date = account_snapshots.snapshot_date
    where account_snapshots.is_history
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
        current_scores.score - reference_scores.score as score_change_28d,
        current_scores.value - reference_scores.value as value_change_28d,
        current_scores.contribution - reference_scores.contribution as contribution_change_28d,
        100.0 * current_scores.weight - current_scores.contribution as points_missing,
        current_scores.dimension_score,
        {{ build_started_at() }} as _built_at,
        -- contribution_change_28d split in two (they sum to it): the metric's own score
        -- moving at its reference weight, and the re-weighting at its current score. A
        -- metric with a value at one end only (it started or stopped counting) or at
        -- neither has its whole change as value_effect and a weight_effect of 0.
        case
            when reference_scores.account_id is null then null
            when current_scores.score is not null and reference_scores.score is not null
                then (current_scores.score - reference_scores.score) * reference_scores.weight
            else current_scores.contribution - reference_scores.contribution
        end as value_effect,
        case
            when reference_scores.account_id is null then null
            when current_scores.score is not null and reference_scores.score is not null
                then
                    (current_scores.contribution - reference_scores.contribution)
                    - (current_scores.score - reference_scores.score) * reference_scores.weight
            else 0.0
        end as weight_effect
    from current_scores
    left join reference_scores
        on
            current_scores.account_id = reference_scores.account_id
            and current_scores.metric = reference_scores.metric
            and current_scores.reference_snapshot_date = reference_scores.snapshot_date
)

select * from final
