-- Reading 2/24: seats and ARR at S = the active contract's base values plus the
-- amendments of that contract changed on or before S.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'int_account_snapshots'}}}) }}

with

snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

changes as (
    select * from {{ ref('stg_crm__contract_changes') }}
),

expected as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        snapshots.base_seats + coalesce(sum(changes.delta_seats), 0) as seats,
        snapshots.base_arr_jpy + coalesce(sum(changes.delta_arr_jpy), 0) as arr_jpy
    from snapshots
    left join changes
        on
            snapshots.contract_id = changes.contract_id
            and snapshots.snapshot_date >= changes.changed_at
    group by snapshots.account_id, snapshots.snapshot_date, snapshots.base_seats, snapshots.base_arr_jpy
)

select snapshots.*
from snapshots
inner join expected
    on
        snapshots.account_id = expected.account_id
        and snapshots.snapshot_date = expected.snapshot_date
where snapshots.seats <> expected.seats or snapshots.arr_jpy <> expected.arr_jpy
