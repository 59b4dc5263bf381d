-- Reading 27: mart_kpi_monthly has a row for every month of the KPI calendar and every
-- segment of the seed plus `all` (and nothing else).
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'mart_kpi_monthly'}}}) }}

with

months as (
    select month from {{ ref('int_kpi_months') }}
),

segments as (
    select segment from {{ ref('segments') }}
    union all
    select 'all' as segment
),

expected as (
    select
        months.month,
        segments.segment
    from months
    cross join segments
),

kpis as (
    select
        month,
        segment
    from {{ ref('mart_kpi_monthly') }}
)

select
    'missing' as problem,
    expected.month,
    expected.segment
from expected
left join kpis
    on expected.month = kpis.month and expected.segment = kpis.segment
where kpis.month is null

union all

select
    'unexpected' as problem,
    kpis.month,
    kpis.segment
from kpis
left join expected
    on kpis.month = expected.month and kpis.segment = expected.segment
where expected.month is null
