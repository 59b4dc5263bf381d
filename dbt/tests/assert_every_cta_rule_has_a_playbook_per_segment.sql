-- Every enabled CTA rule has a playbook for every segment, so every CTA can be routed.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'playbooks'}}}) }}

with

rules as (
    select cta_type from {{ ref('cta_rules') }}
    where enabled
),

segments as (
    select distinct segment from {{ ref('playbooks') }}
),

playbooks as (
    select
        cta_type,
        segment
    from {{ ref('playbooks') }}
)

select
    rules.cta_type,
    segments.segment
from rules
cross join segments
left join playbooks
    on
        rules.cta_type = playbooks.cta_type
        and segments.segment = playbooks.segment
where playbooks.cta_type is null
