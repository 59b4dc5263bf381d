-- Reading 1: the contract on a snapshot row is active at S, no other contract of the
-- account active at S starts later (or on the same day with a larger contract_id), and
-- the contract year starts within the contract, at most 365 days before S.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'int_account_snapshots'}}}) }}

with

snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
)

select
    snapshots.account_id,
    snapshots.snapshot_date,
    snapshots.contract_id,
    'not active' as problem
from snapshots
where
    snapshots.contract_start > snapshots.snapshot_date
    or snapshots.contract_end < snapshots.snapshot_date

union all

select
    snapshots.account_id,
    snapshots.snapshot_date,
    snapshots.contract_id,
    'a later contract is active' as problem
from snapshots
inner join contracts
    on
        snapshots.account_id = contracts.account_id
        and snapshots.snapshot_date >= contracts.start_date
        and snapshots.snapshot_date <= contracts.end_date
        and (
            snapshots.contract_start < contracts.start_date
            or (snapshots.contract_start = contracts.start_date and snapshots.contract_id < contracts.contract_id)
        )

union all

select
    snapshots.account_id,
    snapshots.snapshot_date,
    snapshots.contract_id,
    'contract year out of range' as problem
from snapshots
where
    snapshots.contract_year_start < snapshots.contract_start
    or snapshots.contract_year_start > snapshots.snapshot_date
    or {{ dbt.datediff('snapshots.contract_year_start', 'snapshots.snapshot_date', 'day') }} >= 366
