-- One row per account and snapshot date S at which the account is active (reading 1):
-- the active contract (latest start_date; same start: larger contract_id, reading 24),
-- its values with amendments up to S (readings 2, 24), the contract year (reading 3) and
-- the account's user-ID counts at S (reading 4).
with

snapshot_dates as (
    select * from {{ ref('int_snapshot_dates') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
),

changes as (
    select * from {{ ref('stg_crm__contract_changes') }}
),

users as (
    select * from {{ ref('stg_usage__users') }}
),

segments as (
    select * from {{ ref('segments') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

customer_since as (
    select
        contracts.account_id,
        min(contracts.start_date) as customer_since
    from contracts
    cross join as_of
    where contracts.start_date <= as_of.as_of_date
    group by contracts.account_id
),

contracts_at_snapshot as (
    select
        snapshot_dates.snapshot_date,
        contracts.*,
        row_number() over (
            partition by contracts.account_id, snapshot_dates.snapshot_date
            order by contracts.start_date desc, contracts.contract_id desc
        ) as _active_rank
    from snapshot_dates
    inner join contracts
        on
            contracts.start_date <= snapshot_dates.snapshot_date
            and contracts.end_date >= snapshot_dates.snapshot_date
),

active_contracts as (
    select * from contracts_at_snapshot
    where _active_rank = 1
),

amendments_at_snapshot as (
    select
        active_contracts.account_id,
        active_contracts.snapshot_date,
        sum(changes.delta_seats) as delta_seats,
        sum(changes.delta_arr_jpy) as delta_arr_jpy
    from active_contracts
    inner join changes
        on
            active_contracts.contract_id = changes.contract_id
            and changes.changed_at <= active_contracts.snapshot_date
    group by active_contracts.account_id, active_contracts.snapshot_date
),

user_ids_at_snapshot as (
    select
        active_contracts.account_id,
        active_contracts.snapshot_date,
        count(
            case
                when users.deactivated_on is null or users.deactivated_on > active_contracts.snapshot_date
                    then users.user_id
            end
        ) as active_ids,
        count(
            case
                when
                    users.role = 'admin'
                    and (users.deactivated_on is null or users.deactivated_on > active_contracts.snapshot_date)
                    then users.user_id
            end
        ) as active_admin_ids,
        count(
            case
                when users.created_on >= cast({{ dbt.dateadd('day', -29, 'active_contracts.snapshot_date') }} as date)
                    then users.user_id
            end
        ) as ids_issued_30d
    from active_contracts
    inner join users
        on
            active_contracts.account_id = users.account_id
            and users.created_on <= active_contracts.snapshot_date
    group by active_contracts.account_id, active_contracts.snapshot_date
),

contract_years as (
    select
        account_id,
        snapshot_date,
        start_date,
        {{ dbt.datediff('start_date', 'snapshot_date', 'year') }} as _calendar_years
    from active_contracts
),

contract_year_starts as (
    -- the latest anniversary of start_date on or before S (reading 3)
    select
        account_id,
        snapshot_date,
        case
            when
                cast({{ dbt.dateadd('year', '_calendar_years', 'start_date') }} as date) <= snapshot_date
                then cast({{ dbt.dateadd('year', '_calendar_years', 'start_date') }} as date)
            else cast({{ dbt.dateadd('year', '_calendar_years - 1', 'start_date') }} as date)
        end as contract_year_start
    from contract_years
),

final as (
    select
        active_contracts.account_id,
        active_contracts.snapshot_date,
        segments.segment,
        accounts.account_name,
        accounts.employee_count,
        accounts.csm_owner,
        customer_since.customer_since,
        active_contracts.contract_id,
        active_contracts.product,
        active_contracts.plan,
        active_contracts.start_date as contract_start,
        active_contracts.end_date as contract_end,
        contract_year_starts.contract_year_start,
        active_contracts.seats + coalesce(amendments_at_snapshot.delta_seats, 0) as seats,
        active_contracts.arr_jpy + coalesce(amendments_at_snapshot.delta_arr_jpy, 0) as arr_jpy,
        active_contracts.seats as base_seats,
        active_contracts.arr_jpy as base_arr_jpy,
        active_contracts.annual_quota,
        {{ dbt.datediff('active_contracts.snapshot_date', 'active_contracts.end_date', 'day') }} as days_to_renewal,
        coalesce(user_ids_at_snapshot.active_ids, 0) as active_ids,
        coalesce(user_ids_at_snapshot.active_admin_ids, 0) as active_admin_ids,
        coalesce(user_ids_at_snapshot.ids_issued_30d, 0) as ids_issued_30d
    from active_contracts
    left join accounts
        on active_contracts.account_id = accounts.account_id
    left join segments
        on
            accounts.employee_count >= segments.min_employees
            and (segments.max_employees is null or accounts.employee_count <= segments.max_employees)
    left join customer_since
        on active_contracts.account_id = customer_since.account_id
    left join amendments_at_snapshot
        on
            active_contracts.account_id = amendments_at_snapshot.account_id
            and active_contracts.snapshot_date = amendments_at_snapshot.snapshot_date
    left join user_ids_at_snapshot
        on
            active_contracts.account_id = user_ids_at_snapshot.account_id
            and active_contracts.snapshot_date = user_ids_at_snapshot.snapshot_date
    left join contract_year_starts
        on
            active_contracts.account_id = contract_year_starts.account_id
            and active_contracts.snapshot_date = contract_year_starts.snapshot_date
)

select * from final
