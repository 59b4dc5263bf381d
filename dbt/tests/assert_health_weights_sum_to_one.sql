-- Re-normalisation: where any metric of an account snapshot has a score, the effective
-- weights sum to 1; where none has, they are all 0 and the tier is unknown. Rows
-- returned fail.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'fct_health_metrics'}}}) }}

with

weights as (
    select
        account_id,
        snapshot_date,
        sum(weight) as weight_sum,
        count(score) as metrics_scored
    from {{ this_build(ref('fct_health_metrics')) }}
    group by account_id, snapshot_date
)

select
    weights.*,
    account_health.health_tier
from weights
inner join {{ this_build(ref('fct_account_health')) }} as account_health
    on
        weights.account_id = account_health.account_id
        and weights.snapshot_date = account_health.snapshot_date
where
    (weights.metrics_scored > 0 and abs(weights.weight_sum - 1) > 1e-9)
    or (weights.metrics_scored = 0 and (weights.weight_sum <> 0 or account_health.health_tier <> 'unknown'))
