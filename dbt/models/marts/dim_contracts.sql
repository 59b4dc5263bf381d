-- One row per contract (int_contracts) with its account's segment and its judgement as of D
-- (reading 26): renewed when its CRM status is renewed or the account's next contract
-- starts within renewal_window_days (30) after its end_date; churned when its end_date is on
-- or before D and it was not renewed; due for renewal when its end_date is on or before D.
-- The renewal KPIs count a contract in the month of its end_date (mart_kpi_monthly).

with

contracts as (
    select * from {{ ref('int_contracts') }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

final as (
    select
        contracts.contract_id,
        contracts.account_id,
        accounts.segment,
        contracts.product,
        contracts.plan,
        contracts.start_date,
        contracts.end_date,
        cast(contracts.seats as bigint) as seats,
        cast(contracts.seats_at_end as bigint) as seats_at_end,
        cast(contracts.annual_quota as bigint) as annual_quota,
        cast(contracts.arr_jpy as bigint) as arr_jpy,
        cast(contracts.arr_jpy_at_end as bigint) as arr_jpy_at_end,
        cast(contracts.amendments as bigint) as amendments,
        contracts.status,
        contracts.is_renewed,
        contracts.is_churned_as_of_d as is_churned,
        contracts.end_date <= as_of.as_of_date as is_renewal_due,
        contracts.is_active_at_d,
        contracts.next_contract_id,
        contracts.next_start_date,
        as_of.as_of_date
    from contracts
    cross join as_of
    left join accounts
        on contracts.account_id = accounts.account_id
)

select * from final
