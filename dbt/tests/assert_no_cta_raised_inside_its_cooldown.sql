-- Reading 10: two CTAs of the same type for the same account are at least the rule's
-- cooldown_days apart.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'fct_cta_candidates'}}}) }}

with

ctas as (
    select * from {{ ref('fct_cta_candidates') }}
),

rules as (
    select * from {{ ref('cta_rules') }}
),

ordered as (
    select
        ctas.account_id,
        ctas.cta_type,
        ctas.triggered_on,
        lag(ctas.triggered_on) over (
            partition by ctas.account_id, ctas.cta_type order by ctas.triggered_on
        ) as previous_triggered_on,
        rules.cooldown_days
    from ctas
    inner join rules
        on ctas.cta_type = rules.cta_type
)

select *
from ordered
where
    previous_triggered_on is not null
    and {{ days_between('previous_triggered_on', 'triggered_on') }} < cooldown_days
