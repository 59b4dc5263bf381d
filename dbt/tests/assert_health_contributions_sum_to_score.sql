-- fct_health_metrics explains fct_account_health: per account and snapshot the metric
-- contributions sum to the health score (0 when there is no score). Rows returned fail.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'fct_health_metrics'}}}) }}

with

contributions as (
    select
        account_id,
        snapshot_date,
        sum(contribution) as contribution_sum
    from {{ this_build(ref('fct_health_metrics')) }}
    group by account_id, snapshot_date
)

select
    account_health.account_id,
    account_health.snapshot_date,
    account_health.health_score,
    contributions.contribution_sum
from {{ this_build(ref('fct_account_health')) }} as account_health
left join contributions
    on
        account_health.account_id = contributions.account_id
        and account_health.snapshot_date = contributions.snapshot_date
where
    abs(coalesce(account_health.health_score, 0) - coalesce(contributions.contribution_sum, 0))
    > 1e-6
