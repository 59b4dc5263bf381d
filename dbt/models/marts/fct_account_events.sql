-- One row per account event on or before D: the single definition of contract events that
-- calibration, the CTA backtest and the ARR movements read (CONTRACT readings 24, 26, 30 and
-- section 12). Contract facts (successor, renewal and churn judgement, ARR at the end with
-- amendments) come from int_contracts; this model only turns them into dated events.
--
-- contract_start  a contract starting on the account's first start date;
-- renewal         a contract that is the successor of a renewed contract (reading 26: the
--                 next contract of the account, starting within renewal_window_days after
--                 the previous end_date, or the previous one has CRM status renewed);
-- reactivation    any other contract starting after an earlier one of the account (after a
--                 churn: the renewal window had passed);
-- churn           a contract that ended (end_date <= D) without renewal, dated on its
--                 end_date: the last day its ARR is live (section 12 counts it in the month
--                 of the day after);
-- expansion /     an amendment (contract_change) with delta_arr_jpy > 0 / < 0, on changed_at.
-- contraction
-- A renewal above / below the previous contract's ARR is a flag on the renewal row
-- (is_expansion / is_contraction), not a second row: the account's ARR moves once that day.

with

contracts as (
    select * from {{ ref('int_contracts') }}
),

changes as (
    select * from {{ ref('stg_crm__contract_changes') }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

-- each amendment with the amended contract's ARR just before and after it (reading 24:
-- the base arr_jpy plus every earlier amendment; same-day amendments in change_id order)
amendments as (
    select
        changes.change_id,
        changes.account_id,
        changes.contract_id,
        changes.change_type,
        changes.changed_at,
        changes.delta_arr_jpy,
        contracts.arr_jpy + coalesce(sum(changes.delta_arr_jpy) over (
            partition by changes.contract_id
            order by changes.changed_at asc, changes.change_id asc
            rows between unbounded preceding and 1 preceding
        ), 0) as arr_before
    from changes
    left join contracts
        on changes.contract_id = contracts.contract_id
),

-- the renewed contract a contract renews; only overlapping contracts can give one successor
-- two renewed predecessors: the one that ended last (then the larger contract_id) is taken
renewed_from as (
    select
        next_contract_id as contract_id,
        contract_id as previous_contract_id,
        arr_jpy_at_end as previous_arr_jpy,
        row_number() over (
            partition by next_contract_id
            order by end_date desc, contract_id desc
        ) as _rank
    from contracts
    where is_renewed and next_contract_id is not null
),

-- for a contract that is not a renewal: the account's contracts that started before it,
-- the one that ended last (then the larger contract_id) first
started_before as (
    select
        this_contract.contract_id,
        earlier.contract_id as previous_contract_id,
        row_number() over (
            partition by this_contract.contract_id
            order by earlier.end_date desc, earlier.contract_id desc
        ) as _rank
    from contracts as this_contract
    inner join contracts as earlier
        on
            this_contract.account_id = earlier.account_id
            and this_contract.start_date > earlier.start_date
),

starts as (
    select
        contracts.account_id,
        case
            when renewed_from.contract_id is not null then 'renewal'
            when started_before.contract_id is null then 'contract_start'
            else 'reactivation'
        end as event_type,
        contracts.start_date as event_date,
        contracts.contract_id,
        coalesce(renewed_from.previous_contract_id, started_before.previous_contract_id) as previous_contract_id,
        cast(null as {{ dbt.type_string() }}) as change_id,
        cast(null as {{ dbt.type_string() }}) as change_type,
        coalesce(renewed_from.previous_arr_jpy, 0) as arr_before,
        contracts.arr_jpy_at_start as arr_after,
        {{ dbt.concat(["'start|'", 'contracts.contract_id']) }} as event_key
    from contracts
    left join renewed_from
        on
            contracts.contract_id = renewed_from.contract_id
            and renewed_from._rank = 1
    left join started_before
        on
            contracts.contract_id = started_before.contract_id
            and started_before._rank = 1
),

churns as (
    select
        account_id,
        'churn' as event_type,
        end_date as event_date,
        contract_id,
        cast(null as {{ dbt.type_string() }}) as previous_contract_id,
        cast(null as {{ dbt.type_string() }}) as change_id,
        cast(null as {{ dbt.type_string() }}) as change_type,
        arr_jpy_at_end as arr_before,
        0 as arr_after,
        {{ dbt.concat(["'churn|'", 'contract_id']) }} as event_key
    from contracts
    where is_churned_as_of_d
),

arr_amendments as (
    select
        account_id,
        case when delta_arr_jpy > 0 then 'expansion' else 'contraction' end as event_type,
        changed_at as event_date,
        contract_id,
        cast(null as {{ dbt.type_string() }}) as previous_contract_id,
        change_id,
        change_type,
        arr_before,
        arr_before + delta_arr_jpy as arr_after,
        {{ dbt.concat(["'change|'", 'change_id']) }} as event_key
    from amendments
    where delta_arr_jpy <> 0
),

events as (
    select * from starts
    union all
    select * from churns
    union all
    select * from arr_amendments
),

final as (
    select
        {{ dbt.hash('events.event_key') }} as event_id,
        events.account_id,
        accounts.segment,
        events.event_type,
        events.event_date,
        events.contract_id,
        events.previous_contract_id,
        events.change_id,
        events.change_type,
        cast(events.arr_before as bigint) as arr_before,
        cast(events.arr_after as bigint) as arr_after,
        cast(events.arr_after - events.arr_before as bigint) as arr_change,
        (
            events.event_type = 'expansion'
            or (events.event_type = 'renewal' and events.arr_after > events.arr_before)
        ) as is_expansion,
        (
            events.event_type = 'contraction'
            or (events.event_type = 'renewal' and events.arr_after < events.arr_before)
        ) as is_contraction,
        as_of.as_of_date
    from events
    cross join as_of
    left join accounts
        on events.account_id = accounts.account_id
    where events.event_date <= as_of.as_of_date
)

select * from final
