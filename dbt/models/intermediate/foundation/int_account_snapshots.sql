-- One row per pair of this build's batch (int_snapshot_batch: every pair on a full build,
-- the current snapshot, new dates and changed accounts on a daily one) at which the account
-- is active (reading 1): the active contract (latest start_date; same start: larger contract_id, reading 24),
-- its values with amendments up to S (readings 2, 24), the contract year (reading 3) and
-- the account's user-ID counts at S (reading 4).
with

batch as (
    select * from {{ ref('int_snapshot_batch') }}
),

snapshot_dates as (
    select * from {{ ref('int_snapshot_batch_dates') }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
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
        batch.snapshot_date,
        batch.is_history,
        batch.is_grid_day,
        batch.is_current_snapshot,
        batch.reference_snapshot_date,
        contracts.*,
        row_number() over (
            partition by contracts.account_id, batch.snapshot_date
            order by contracts.start_date desc, contracts.contract_id desc
        ) as _active_rank
    from batch
    inner join contracts
        on
            batch.account_id = contracts.account_id
            and batch.snapshot_date >= contracts.start_date
            and batch.snapshot_date <= contracts.end_date
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
            and active_contracts.snapshot_date >= changes.changed_at
    group by active_contracts.account_id, active_contracts.snapshot_date
),

-- User-ID counts at S without pairing every ID with every snapshot: each ID adds one
-- from created_on and removes one from its deactivation (reading 4); the changes are
-- bucketed to the first snapshot on or after their date and summed cumulatively.
user_events as (
    select
        account_id,
        created_on as event_on,
        1 as id_delta,
        case when role = 'admin' then 1 else 0 end as admin_delta
    from users
    union all
    select
        account_id,
        case when deactivated_on < created_on then created_on else deactivated_on end as event_on,
        -1 as id_delta,
        case when role = 'admin' then -1 else 0 end as admin_delta
    from users
    where deactivated_on is not null
),

event_dates as (
    select distinct event_on from user_events
),

event_snapshots as (
    -- the first snapshot on or after each event date (events after D fall out)
    select
        event_dates.event_on,
        min(snapshot_dates.snapshot_date) as snapshot_date
    from event_dates
    inner join snapshot_dates
        on event_dates.event_on <= snapshot_dates.snapshot_date
    group by event_dates.event_on
),

id_changes as (
    select
        user_events.account_id,
        event_snapshots.snapshot_date,
        sum(user_events.id_delta) as id_delta,
        sum(user_events.admin_delta) as admin_delta
    from user_events
    inner join event_snapshots
        on user_events.event_on = event_snapshots.event_on
    group by user_events.account_id, event_snapshots.snapshot_date
),

id_grid as (
    select
        accounts_with_ids.account_id,
        snapshot_dates.snapshot_date
    from (select distinct account_id from id_changes) as accounts_with_ids
    cross join snapshot_dates
),

user_ids_at_snapshot as (
    select
        id_grid.account_id,
        id_grid.snapshot_date,
        sum(coalesce(id_changes.id_delta, 0)) over (
            partition by id_grid.account_id
            order by id_grid.snapshot_date
            rows between unbounded preceding and current row
        ) as active_ids,
        sum(coalesce(id_changes.admin_delta, 0)) over (
            partition by id_grid.account_id
            order by id_grid.snapshot_date
            rows between unbounded preceding and current row
        ) as active_admin_ids
    from id_grid
    left join id_changes
        on
            id_grid.account_id = id_changes.account_id
            and id_grid.snapshot_date = id_changes.snapshot_date
),

created_dates as (
    select distinct created_on from users
),

issue_windows as (
    -- the snapshots whose last 30 days (S-29..S) hold each creation date
    select
        created_dates.created_on,
        snapshot_dates.snapshot_date
    from created_dates
    inner join snapshot_dates
        on
            created_dates.created_on <= snapshot_dates.snapshot_date
            and created_dates.created_on
            >= cast({{ dbt.dateadd('day', -29, 'snapshot_dates.snapshot_date') }} as date)
),

ids_issued as (
    select
        users.account_id,
        issue_windows.snapshot_date,
        count(*) as ids_issued_30d
    from users
    inner join issue_windows
        on users.created_on = issue_windows.created_on
    group by users.account_id, issue_windows.snapshot_date
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
            else cast({{ dbt.dateadd('year', '(_calendar_years - 1)', 'start_date') }} as date)
        end as contract_year_start
    from contract_years
),

final as (
    select
        active_contracts.account_id,
        active_contracts.snapshot_date,
        active_contracts.is_history,
        active_contracts.is_grid_day,
        active_contracts.is_current_snapshot,
        active_contracts.reference_snapshot_date,
        accounts.segment,
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
        coalesce(ids_issued.ids_issued_30d, 0) as ids_issued_30d
    from active_contracts
    left join accounts
        on active_contracts.account_id = accounts.account_id
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
    left join ids_issued
        on
            active_contracts.account_id = ids_issued.account_id
            and active_contracts.snapshot_date = ids_issued.snapshot_date
    left join contract_year_starts
        on
            active_contracts.account_id = contract_year_starts.account_id
            and active_contracts.snapshot_date = contract_year_starts.snapshot_date
)

select * from final
