-- Staged success (CONTRACT section 5, reading 29): for every account with user IDs or an
-- active snapshot, and every snapshot date S, the highest stage n such that stages 1..n
-- were each reached at some snapshot on or before S:
--   1 ids_issued       an ID was issued (created_on <= the snapshot)
--   2 core_action      a core_action was done (on or before the snapshot)
--   3 weekly_habit     wau_rate >= threshold in consecutive_snapshots consecutive weekly snapshots
--   4 mobile           mobile_wau_rate >= threshold at a snapshot (its 7-day window)
--   5 advanced_feature export / share / integration used in a snapshot's last window_days days
-- Thresholds from seed adoption_stages. Each stage is reached at its first snapshot; the
-- stage at S follows from which of those dates are <= S. dim_accounts reads S = D.

with

snapshot_dates as (
    select * from {{ ref('int_snapshot_dates') }}
),

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

users as (
    select * from {{ ref('stg_usage__users') }}
),

user_days as (
    select * from {{ ref('int_usage_user_day') }}
),

usage_metrics as (
    select * from {{ ref('int_health_usage_metrics') }}
),

adoption_stages as (
    select * from {{ ref('adoption_stages') }}
),

stage_rules as (
    select
        max(case when stage_key = 'weekly_habit' then threshold end) as habit_threshold,
        max(case when stage_key = 'weekly_habit' then consecutive_snapshots end)
            as habit_snapshots,
        max(case when stage_key = 'mobile' then threshold end) as mobile_threshold,
        max(case when stage_key = 'advanced_feature' then window_days end) as advanced_window_days
    from adoption_stages
),

ordered_snapshots as (
    select
        snapshot_date,
        row_number() over (order by snapshot_date) as snapshot_number
    from snapshot_dates
),

accounts as (
    select account_id from users
    union
    select account_id from account_snapshots
),

-- stage 1: the first snapshot on or after the first ID was issued
first_ids as (
    select
        account_id,
        min(created_on) as first_id_issued_on
    from users
    group by account_id
),

-- stage 2: the first snapshot on or after the first core action
first_core_actions as (
    select
        account_id,
        min(activity_date) as first_core_action_on
    from user_days
    where core_action_events > 0
    group by account_id
),

-- stage 3: runs of consecutive weekly snapshots with wau_rate at or above the threshold
habit_weeks as (
    select
        usage_metrics.account_id,
        usage_metrics.snapshot_date,
        ordered_snapshots.snapshot_number
        - row_number() over (
            partition by usage_metrics.account_id order by usage_metrics.snapshot_date
        ) as run_id
    from usage_metrics
    inner join ordered_snapshots
        on usage_metrics.snapshot_date = ordered_snapshots.snapshot_date
    cross join stage_rules
    where usage_metrics.wau_rate >= stage_rules.habit_threshold
),

habit_runs as (
    select
        account_id,
        snapshot_date,
        row_number() over (
            partition by account_id, run_id order by snapshot_date
        ) as run_length
    from habit_weeks
),

first_habits as (
    select
        habit_runs.account_id,
        min(habit_runs.snapshot_date) as weekly_habit_reached_on
    from habit_runs
    cross join stage_rules
    where habit_runs.run_length >= stage_rules.habit_snapshots
    group by habit_runs.account_id
),

-- stage 4: the first snapshot with mobile_wau_rate at or above the threshold
first_mobile as (
    select
        usage_metrics.account_id,
        min(usage_metrics.snapshot_date) as mobile_reached_on
    from usage_metrics
    cross join stage_rules
    where usage_metrics.mobile_wau_rate >= stage_rules.mobile_threshold
    group by usage_metrics.account_id
),

-- stage 5: the first snapshot whose window holds a day with an advanced feature
advanced_days as (
    select distinct
        user_days.account_id,
        user_days.activity_date,
        cast(
            {{ dbt.dateadd('day', 'stage_rules.advanced_window_days - 1', 'user_days.activity_date') }}
            as date
        ) as counts_until
    from user_days
    cross join stage_rules
    where user_days.advanced_events > 0
),

first_advanced as (
    select
        advanced_days.account_id,
        min(snapshot_dates.snapshot_date) as advanced_feature_reached_on
    from advanced_days
    inner join snapshot_dates
        on
            snapshot_dates.snapshot_date >= advanced_days.activity_date
            and snapshot_dates.snapshot_date <= advanced_days.counts_until
    group by advanced_days.account_id
),

reached as (
    select
        accounts.account_id,
        first_ids.first_id_issued_on,
        first_core_actions.first_core_action_on,
        first_habits.weekly_habit_reached_on,
        first_mobile.mobile_reached_on,
        first_advanced.advanced_feature_reached_on
    from accounts
    left join first_ids
        on accounts.account_id = first_ids.account_id
    left join first_core_actions
        on accounts.account_id = first_core_actions.account_id
    left join first_habits
        on accounts.account_id = first_habits.account_id
    left join first_mobile
        on accounts.account_id = first_mobile.account_id
    left join first_advanced
        on accounts.account_id = first_advanced.account_id
),

staged as (
    select
        reached.account_id,
        snapshot_dates.snapshot_date,
        reached.first_id_issued_on,
        reached.first_core_action_on,
        reached.weekly_habit_reached_on,
        reached.mobile_reached_on,
        reached.advanced_feature_reached_on,
        case
            when not coalesce(reached.first_id_issued_on <= snapshot_dates.snapshot_date, false)
                then 0
            when not coalesce(reached.first_core_action_on <= snapshot_dates.snapshot_date, false)
                then 1
            when not coalesce(reached.weekly_habit_reached_on <= snapshot_dates.snapshot_date, false)
                then 2
            when not coalesce(reached.mobile_reached_on <= snapshot_dates.snapshot_date, false)
                then 3
            when not coalesce(reached.advanced_feature_reached_on <= snapshot_dates.snapshot_date, false)
                then 4
            else 5
        end as adoption_stage
    from reached
    cross join snapshot_dates
),

final as (
    select
        staged.account_id,
        staged.snapshot_date,
        staged.adoption_stage,
        adoption_stages.stage_key as adoption_stage_key,
        adoption_stages.label_ja as adoption_stage_label_ja,
        staged.first_id_issued_on,
        staged.first_core_action_on,
        staged.weekly_habit_reached_on,
        staged.mobile_reached_on,
        staged.advanced_feature_reached_on
    from staged
    left join adoption_stages
        on staged.adoption_stage = adoption_stages.adoption_stage
)

select * from final
