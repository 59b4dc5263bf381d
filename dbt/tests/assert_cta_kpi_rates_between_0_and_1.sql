-- Every rate of the CTA / KPI / calibration marts is a ratio in [0, 1] (nps excepted:
-- -100..100), and counts are consistent (renewed <= renewals_due, won <= actioned <=
-- raised, backtest_raised <= raised, at_risk_accounts <= active_customers).
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'mart_kpi_monthly'}}}) }}

with

kpi as (
    select * from {{ ref('mart_kpi_monthly') }}
),

calibration as (
    select * from {{ ref('mart_health_calibration') }}
),

effectiveness as (
    select * from {{ ref('mart_cta_effectiveness') }}
)

select
    'mart_kpi_monthly' as model,
    cast(month as varchar) || ' ' || segment as row_key
from kpi
where
    renewal_rate not between 0 and 1
    or reaction_rate not between 0 and 1
    or nps not between -100 and 100
    or renewed > renewals_due
    or ctas_won > ctas_raised
    or at_risk_accounts > active_customers

union all

select
    'mart_health_calibration' as model,
    health_tier
from calibration
where
    churn_rate_180d not between 0 and 1
    or expansion_rate_180d not between 0 and 1

union all

select
    'mart_cta_effectiveness' as model,
    cta_type
from effectiveness
where
    conversion_rate not between 0 and 1
    or churn_rate_180d not between 0 and 1
    or expansion_rate_180d not between 0 and 1
    or baseline_churn_rate_180d not between 0 and 1
    or baseline_expansion_rate_180d not between 0 and 1
    or won > actioned
    or actioned > raised
    or backtest_raised > raised
