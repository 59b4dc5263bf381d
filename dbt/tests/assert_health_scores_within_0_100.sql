-- Every score is within 0..100 and every weight within 0..1 (nulls allowed where nothing
-- could be measured). Rows returned fail.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'fct_account_health'}}}) }}

select
    'fct_account_health' as model,
    account_id,
    snapshot_date,
    null as metric
from {{ this_build(ref('fct_account_health')) }}
where
    health_score < 0 or health_score > 100
    or deployment_score < 0 or deployment_score > 100
    or engagement_score < 0 or engagement_score > 100
    or adoption_score < 0 or adoption_score > 100
    or roi_score < 0 or roi_score > 100

union all

select
    'fct_health_metrics' as model,
    account_id,
    snapshot_date,
    metric
from {{ this_build(ref('fct_health_metrics')) }}
where
    score < 0 or score > 100
    or dimension_score < 0 or dimension_score > 100
    or weight < 0 or weight > 1
    or contribution < 0 or contribution > 100
    or (score is null and (weight <> 0 or contribution <> 0))
