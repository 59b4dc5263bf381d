-- Seed sanity for CS Ops edits: red_at differs from green_at (else no score can be
-- computed), weights are not negative, and there is exactly one tier without
-- min_score (unknown). Rows returned fail.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'health_metrics'}}}) }}

select
    metric as item,
    'red_at equals green_at or negative weight' as problem
from {{ ref('health_metrics') }}
where red_at = green_at or weight < 0

union all

select
    dimension as item,
    'negative dimension weight' as problem
from {{ ref('health_dimensions') }}
where weight < 0

union all

select
    cast(count(*) as string) as item,
    'tiers without min_score <> 1' as problem
from {{ ref('health_tiers') }}
where min_score is null
having count(*) <> 1
