-- One row per account and month (the months of int_kpi_months, from the month of the
-- account's first contract start to D's month): the account's ARR on the month's last day
-- (D in D's month) and how it moved against the previous month's last day and against the
-- last day of the month twelve months earlier (CONTRACT section 12, readings 1, 24, 26).
--
-- ARR on a day X (the one home of that rule):
--   the active contract at X (start_date <= X <= end_date; several: the latest start_date,
--   then the larger contract_id) with its amendments dated on or before X: arr_jpy plus
--   delta_arr_jpy of its contract_changes with changed_at <= X;
--   else, in a renewal gap (a renewed contract whose end_date < X and whose renewal, the
--   account's next contract, starts after X; a contract renewed by CRM status whose renewal
--   is not in the data stays live through D), the ended contract's arr_jpy_at_end;
--   else 0.
-- Movements per month, start = ARR on the previous month's last day, end = ARR on this
-- month's last day: start 0 and end > 0 is new in the month of the account's first contract
-- start and reactivation later; start > 0 and end 0 is churn; otherwise end - start is an
-- expansion (> 0) or a contraction (< 0). The *_ttm columns compare the ARR on the last day
-- of the month twelve months earlier with the ARR at this month's end the same way.

with

months as (
    select * from {{ ref('int_kpi_months') }}
),

contracts as (
    select * from {{ ref('int_contracts') }}
),

changes as (
    select * from {{ ref('stg_crm__contract_changes') }}
),

-- the last day each contract's ARR is live: its end_date, or through a renewal gap the day
-- before its renewal starts; null = live through D (renewed by status, no renewal in the data)
contract_spans as (
    select
        contract_id,
        account_id,
        start_date,
        end_date,
        arr_jpy,
        arr_jpy_at_end,
        case
            when not is_renewed then end_date
            when next_start_date is null then null
            else greatest(end_date, {{ add_days('next_start_date', -1) }})
        end as live_until
    from contracts
),

-- the contract whose ARR counts at each month end: a contract in its term first (latest
-- start_date, then larger contract_id), else the renewal-gap contract that started last
month_end_contracts as (
    select
        months.month,
        months.month_end,
        contract_spans.account_id,
        contract_spans.contract_id,
        contract_spans.arr_jpy,
        contract_spans.arr_jpy_at_end,
        (months.month_end <= contract_spans.end_date) as is_in_term,
        row_number() over (
            partition by contract_spans.account_id, months.month
            order by
                case when months.month_end <= contract_spans.end_date then 0 else 1 end asc,
                contract_spans.start_date desc,
                contract_spans.contract_id desc
        ) as _rank
    from months
    inner join contract_spans
        on
            months.month_end >= contract_spans.start_date
            and (contract_spans.live_until is null or months.month_end <= contract_spans.live_until)
),

month_end_arr as (
    select
        month_end_contracts.account_id,
        month_end_contracts.month,
        month_end_contracts.contract_id,
        case
            when month_end_contracts.is_in_term
                then month_end_contracts.arr_jpy + coalesce(sum(changes.delta_arr_jpy), 0)
            else month_end_contracts.arr_jpy_at_end
        end as arr
    from month_end_contracts
    left join changes
        on
            month_end_contracts.contract_id = changes.contract_id
            and month_end_contracts.month_end >= changes.changed_at
    where month_end_contracts._rank = 1
    group by
        month_end_contracts.account_id,
        month_end_contracts.month,
        month_end_contracts.contract_id,
        month_end_contracts.is_in_term,
        month_end_contracts.arr_jpy,
        month_end_contracts.arr_jpy_at_end
),

first_contracts as (
    select
        account_id,
        {{ month_start('min(start_date)') }} as first_contract_month
    from contracts
    group by account_id
),

-- every month from the account's first contract month on, ARR 0 where nothing is live
account_months as (
    select
        first_contracts.account_id,
        first_contracts.first_contract_month,
        months.month,
        months.month_end,
        month_end_arr.contract_id,
        coalesce(month_end_arr.arr, 0) as arr_end
    from first_contracts
    inner join months
        on first_contracts.first_contract_month <= months.month
    left join month_end_arr
        on
            first_contracts.account_id = month_end_arr.account_id
            and months.month = month_end_arr.month
),

compared as (
    select
        account_months.account_id,
        account_months.month,
        account_months.month_end,
        account_months.first_contract_month,
        account_months.contract_id,
        coalesce(lag(account_months.arr_end) over (
            partition by account_months.account_id
            order by account_months.month asc
        ), 0) as arr_start,
        account_months.arr_end,
        coalesce(year_earlier.arr_end, 0) as arr_start_ttm
    from account_months
    left join account_months as year_earlier
        on
            account_months.account_id = year_earlier.account_id
            and year_earlier.month = {{ add_months('account_months.month', -12) }}
),

final as (
    select
        account_id,
        month,
        month_end,
        contract_id,
        case
            when arr_start = 0 and arr_end > 0 and month = first_contract_month then 'new'
            when arr_start = 0 and arr_end > 0 then 'reactivation'
            when arr_start > 0 and arr_end = 0 then 'churn'
            when arr_end > arr_start then 'expansion'
            when arr_end < arr_start then 'contraction'
        end as movement,
        cast(arr_start as bigint) as arr_start,
        cast(case when arr_start = 0 and arr_end > 0 and month = first_contract_month then arr_end else 0 end as bigint) as arr_new,
        cast(case when arr_start > 0 and arr_end > arr_start then arr_end - arr_start else 0 end as bigint)
            as arr_expansion,
        cast(case when arr_start > 0 and arr_end > 0 and arr_end < arr_start then arr_start - arr_end else 0 end as bigint)
            as arr_contraction,
        cast(case when arr_start > 0 and arr_end = 0 then arr_start else 0 end as bigint) as arr_churn,
        cast(case when arr_start = 0 and arr_end > 0 and month > first_contract_month then arr_end else 0 end as bigint)
            as arr_reactivation,
        cast(arr_end as bigint) as arr_end,
        cast(arr_start_ttm as bigint) as arr_start_ttm,
        cast(case when arr_start_ttm > 0 and arr_end > arr_start_ttm then arr_end - arr_start_ttm else 0 end as bigint)
            as arr_expansion_ttm,
        cast(
            case when arr_start_ttm > 0 and arr_end > 0 and arr_end < arr_start_ttm then arr_start_ttm - arr_end else 0 end
            as bigint
        ) as arr_contraction_ttm,
        cast(case when arr_start_ttm > 0 and arr_end = 0 then arr_start_ttm else 0 end as bigint) as arr_churn_ttm
    from compared
)

select * from final
