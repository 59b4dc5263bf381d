-- CTAs are routed by the segment of the account's employee_count (seed segments:
-- < 50 tech_touch, 50-999 pooled, >= 1000 high_touch), and engagement_gap only fires for
-- the segments its rule lists.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'fct_cta_candidates'}}}) }}

with

ctas as (
    select * from {{ ref('fct_cta_candidates') }}
),

snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

segments as (
    select * from {{ ref('segments') }}
),

rules as (
    select * from {{ ref('cta_rules') }}
)

select
    ctas.cta_id,
    ctas.cta_type,
    ctas.segment,
    snapshots.employee_count
from ctas
inner join snapshots
    on
        ctas.account_id = snapshots.account_id
        and ctas.triggered_on = snapshots.snapshot_date
inner join rules
    on ctas.cta_type = rules.cta_type
left join segments
    on ctas.segment = segments.segment
where
    segments.segment is null
    or snapshots.employee_count < segments.min_employees
    or snapshots.employee_count > segments.max_employees
    or (rules.segments is not null and ' ' || rules.segments || ' ' not like '% ' || ctas.segment || ' %')
