-- One row per contract with its successor, renewal and churn judgement (reading 26) and
-- its values with amendments. A contract is renewed when its CRM status is renewed or
-- another contract of the same account starts within renewal_window_days (30) after its
-- end_date; churned as of D when its end_date <= D and it was not renewed.
with

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
),

changes as (
    select * from {{ ref('stg_crm__contract_changes') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

following as (
    -- the account's next contract: the earliest one starting on or after this end_date
    -- (same start: the larger contract_id, as for active contracts, reading 24)
    select
        this_contract.contract_id,
        next_contract.contract_id as next_contract_id,
        next_contract.start_date as next_start_date,
        next_contract.arr_jpy as next_base_arr_jpy,
        row_number() over (
            partition by this_contract.contract_id
            order by next_contract.start_date asc, next_contract.contract_id desc
        ) as _next_rank
    from contracts as this_contract
    inner join contracts as next_contract
        on
            this_contract.account_id = next_contract.account_id
            and this_contract.contract_id <> next_contract.contract_id
            and this_contract.end_date <= next_contract.start_date
),

next_contracts as (
    select * from following
    where _next_rank = 1
),

amendments_at_end as (
    select
        contracts.contract_id,
        sum(changes.delta_arr_jpy) as delta_arr_jpy,
        sum(changes.delta_seats) as delta_seats,
        count(*) as amendments
    from contracts
    inner join changes
        on
            contracts.contract_id = changes.contract_id
            and contracts.end_date >= changes.changed_at
    group by contracts.contract_id
),

amendments_at_start as (
    select
        contracts.contract_id,
        sum(changes.delta_arr_jpy) as delta_arr_jpy
    from contracts
    inner join changes
        on
            contracts.contract_id = changes.contract_id
            and contracts.start_date >= changes.changed_at
    group by contracts.contract_id
),

joined as (
    select
        contracts.contract_id,
        contracts.account_id,
        contracts.product,
        contracts.plan,
        contracts.start_date,
        contracts.end_date,
        contracts.seats,
        contracts.annual_quota,
        contracts.arr_jpy,
        contracts.status,
        next_contracts.next_contract_id,
        next_contracts.next_start_date,
        next_contracts.next_base_arr_jpy + coalesce(next_amendments.delta_arr_jpy, 0) as next_arr_jpy,
        contracts.arr_jpy + coalesce(own_amendments.delta_arr_jpy, 0) as arr_jpy_at_start,
        contracts.arr_jpy + coalesce(amendments_at_end.delta_arr_jpy, 0) as arr_jpy_at_end,
        contracts.seats + coalesce(amendments_at_end.delta_seats, 0) as seats_at_end,
        coalesce(amendments_at_end.amendments, 0) as amendments,
        (
            contracts.status = 'renewed'
            or next_contracts.next_start_date
            <= cast({{ dbt.dateadd('day', var('renewal_window_days', 30), 'contracts.end_date') }} as date)
        ) as is_renewed,
        as_of.as_of_date
    from contracts
    cross join as_of
    left join next_contracts
        on contracts.contract_id = next_contracts.contract_id
    left join amendments_at_end
        on contracts.contract_id = amendments_at_end.contract_id
    left join amendments_at_start as own_amendments
        on contracts.contract_id = own_amendments.contract_id
    left join amendments_at_start as next_amendments
        on next_contracts.next_contract_id = next_amendments.contract_id
),

final as (
    select
        contract_id,
        account_id,
        product,
        plan,
        start_date,
        end_date,
        seats,
        annual_quota,
        arr_jpy,
        status,
        coalesce(is_renewed, false) as is_renewed,
        next_contract_id,
        next_start_date,
        next_arr_jpy,
        arr_jpy_at_start,
        arr_jpy_at_end,
        seats_at_end,
        amendments,
        (end_date <= as_of_date and not coalesce(is_renewed, false)) as is_churned_as_of_d,
        (start_date <= as_of_date and end_date >= as_of_date) as is_active_at_d
    from joined
)

select * from final
