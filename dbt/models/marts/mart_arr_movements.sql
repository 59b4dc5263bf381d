-- ARR movements, NRR and GRR per month and segment plus segment `all` (CONTRACT section 12,
-- reading 16 for the months). The per-account comparison lives in int_account_arr_monthly;
-- this model sums it by the account's segment (int_accounts, as dim_accounts and
-- mart_kpi_monthly assign it) and forms the ratios. Every month of int_kpi_months has a row
-- for every segment (zeros where nothing is live; ratios null where arr_start is 0).

with

months as (
    select * from {{ ref('int_kpi_months') }}
),

segments as (
    select * from {{ ref('segments') }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

account_arr as (
    select * from {{ ref('int_account_arr_monthly') }}
),

segment_list as (
    select segment from segments
    union all
    select 'all' as segment
),

spine as (
    select
        months.month,
        segment_list.segment
    from months
    cross join segment_list
),

-- every account counts for its segment and for `all`
account_segments as (
    select
        account_id,
        segment
    from accounts
    where segment is not null
    union all
    select distinct
        account_id,
        'all' as segment
    from account_arr
),

sums as (
    select
        account_arr.month,
        account_segments.segment,
        sum(account_arr.arr_start) as arr_start,
        sum(account_arr.arr_new) as arr_new,
        sum(account_arr.arr_expansion) as arr_expansion,
        sum(account_arr.arr_contraction) as arr_contraction,
        sum(account_arr.arr_churn) as arr_churn,
        sum(account_arr.arr_reactivation) as arr_reactivation,
        sum(account_arr.arr_end) as arr_end,
        sum(account_arr.arr_start_ttm) as arr_start_ttm,
        sum(account_arr.arr_expansion_ttm) as arr_expansion_ttm,
        sum(account_arr.arr_contraction_ttm) as arr_contraction_ttm,
        sum(account_arr.arr_churn_ttm) as arr_churn_ttm
    from account_arr
    inner join account_segments
        on account_arr.account_id = account_segments.account_id
    group by account_arr.month, account_segments.segment
),

filled as (
    select
        spine.month,
        spine.segment,
        cast(coalesce(sums.arr_start, 0) as bigint) as arr_start,
        cast(coalesce(sums.arr_new, 0) as bigint) as arr_new,
        cast(coalesce(sums.arr_expansion, 0) as bigint) as arr_expansion,
        cast(coalesce(sums.arr_contraction, 0) as bigint) as arr_contraction,
        cast(coalesce(sums.arr_churn, 0) as bigint) as arr_churn,
        cast(coalesce(sums.arr_reactivation, 0) as bigint) as arr_reactivation,
        cast(coalesce(sums.arr_end, 0) as bigint) as arr_end,
        cast(coalesce(sums.arr_start_ttm, 0) as bigint) as arr_start_ttm,
        cast(coalesce(sums.arr_expansion_ttm, 0) as bigint) as arr_expansion_ttm,
        cast(coalesce(sums.arr_contraction_ttm, 0) as bigint) as arr_contraction_ttm,
        cast(coalesce(sums.arr_churn_ttm, 0) as bigint) as arr_churn_ttm
    from spine
    left join sums
        on
            spine.month = sums.month
            and spine.segment = sums.segment
),

final as (
    select
        month,
        segment,
        arr_start,
        arr_new,
        arr_expansion,
        arr_contraction,
        arr_churn,
        arr_reactivation,
        arr_end,
        cast(arr_start + arr_expansion - arr_contraction - arr_churn as double)
        / nullif(arr_start, 0) as nrr,
        cast(arr_start - arr_contraction - arr_churn as double) / nullif(arr_start, 0) as grr,
        arr_start_ttm,
        arr_expansion_ttm,
        arr_contraction_ttm,
        arr_churn_ttm,
        cast(arr_start_ttm + arr_expansion_ttm - arr_contraction_ttm - arr_churn_ttm as double)
        / nullif(arr_start_ttm, 0) as nrr_ttm,
        cast(arr_start_ttm - arr_contraction_ttm - arr_churn_ttm as double)
        / nullif(arr_start_ttm, 0) as grr_ttm
    from filled
)

select * from final
