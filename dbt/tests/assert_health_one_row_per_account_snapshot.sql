-- This build wrote exactly one fct_account_health row per active account and history
-- snapshot date of its batch (every history row of int_account_snapshots, nothing else),
-- and one fct_health_metrics row per enabled metric for each of them; and no snapshot date
-- outside the history is stored. Rows returned fail.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'fct_account_health'}}}) }}

with

active as (
    select
        account_id,
        snapshot_date
    from {{ ref('int_account_snapshots') }}
    where is_history
),

health_rows as (
    select
        account_id,
        snapshot_date,
        count(*) as health_rows
    from {{ this_build(ref('fct_account_health')) }}
    group by account_id, snapshot_date
),

metric_rows as (
    select
        account_id,
        snapshot_date,
        count(*) as metric_rows,
        count(distinct metric) as metrics
    from {{ this_build(ref('fct_health_metrics')) }}
    group by account_id, snapshot_date
),

enabled as (
    select count(*) as enabled_metrics
    from {{ ref('health_metrics') }}
    where enabled
),

compared as (
    select
        coalesce(active.account_id, health_rows.account_id, metric_rows.account_id) as account_id,
        coalesce(active.snapshot_date, health_rows.snapshot_date, metric_rows.snapshot_date)
            as snapshot_date,
        active.account_id is not null as is_active,
        coalesce(health_rows.health_rows, 0) as health_rows,
        coalesce(metric_rows.metric_rows, 0) as metric_rows,
        coalesce(metric_rows.metrics, 0) as metrics
    from active
    full outer join health_rows
        on
            active.account_id = health_rows.account_id
            and active.snapshot_date = health_rows.snapshot_date
    full outer join metric_rows
        on
            coalesce(active.account_id, health_rows.account_id) = metric_rows.account_id
            and coalesce(active.snapshot_date, health_rows.snapshot_date) = metric_rows.snapshot_date
),

outside_history as (
    select distinct
        stored.account_id,
        stored.snapshot_date,
        false as is_active,
        0 as health_rows,
        0 as metric_rows,
        0 as metrics
    from {{ ref('fct_account_health') }} as stored
    where stored.snapshot_date not in (select history.snapshot_date from {{ ref('int_snapshot_dates') }} as history)
)

select compared.*
from compared
cross join enabled
where
    not compared.is_active
    or compared.health_rows <> 1
    or compared.metric_rows <> enabled.enabled_metrics
    or compared.metrics <> enabled.enabled_metrics

union all

select * from outside_history
