-- fct_health_metrics splits each metric's 28-day contribution change in two:
-- value_effect + weight_effect = contribution_change_28d on every row of this build, and
-- all three are null together (no reference row). Rows returned fail.
{{ config(meta={'dagster': {'ref': {'name': 'fct_health_metrics'}}}) }}

select
    account_id,
    snapshot_date,
    metric,
    contribution_change_28d,
    value_effect,
    weight_effect
from {{ this_build(ref('fct_health_metrics')) }}
where
    (contribution_change_28d is null) <> (value_effect is null)
    or (contribution_change_28d is null) <> (weight_effect is null)
    or abs(value_effect + weight_effect - contribution_change_28d) > 1e-9
