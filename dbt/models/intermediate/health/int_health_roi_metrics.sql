-- ROI metric per active account and snapshot date S (CONTRACT section 4, reading 8):
--   success_plan_attainment = objectives achieved (status achieved, achieved_at <= S)
--                             / objectives with target_date from the current contract's
--                             start_date through S
-- Null when no objective falls in that range.

with

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

success_plans as (
    select * from {{ ref('stg_crm__success_plans') }}
),

objectives_due as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        count(*) as objectives_due,
        sum(
            case
                when
                    success_plans.status = 'achieved'
                    and success_plans.achieved_at <= account_snapshots.snapshot_date
                    then 1
                else 0
            end
        ) as objectives_achieved
    from account_snapshots
    inner join success_plans
        on
            account_snapshots.account_id = success_plans.account_id
            and account_snapshots.contract_start <= success_plans.target_date
            and account_snapshots.snapshot_date >= success_plans.target_date
    group by account_snapshots.account_id, account_snapshots.snapshot_date
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        coalesce(objectives_due.objectives_due, 0) as objectives_due,
        coalesce(objectives_due.objectives_achieved, 0) as objectives_achieved,
        cast(objectives_due.objectives_achieved as double)
        / nullif(objectives_due.objectives_due, 0) as success_plan_attainment
    from account_snapshots
    left join objectives_due
        on
            account_snapshots.account_id = objectives_due.account_id
            and account_snapshots.snapshot_date = objectives_due.snapshot_date
)

select * from final
