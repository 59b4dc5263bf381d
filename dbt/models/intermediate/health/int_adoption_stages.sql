-- Staged success at D (CONTRACT section 5, reading 29), one row per account with user IDs
-- or a health history: the highest stage n such that stages 1..n were each reached on or
-- before D.
--   1 ids_issued       an ID was issued (created_on <= D), for any account
--   2 core_action      a core_action was done (on or before D), for any account
--   3 weekly_habit     wau_rate >= threshold at consecutive_snapshots consecutive grid days
--                      (the current snapshot does not count)
--   4 mobile           mobile_wau_rate >= threshold at a snapshot (its 7-day window)
--   5 advanced_feature export / share / integration used in a snapshot's last window_days days
-- Thresholds from seed adoption_stages. Stages 3 and 4 read the stored health history
-- (fct_account_health keeps each snapshot's usage rates), so no snapshot is recomputed.

with

snapshot_dates as (
    select * from {{ ref('int_snapshot_dates') }}
),

health as (
    select * from {{ ref('fct_account_health') }}
),

users as (
    select * from {{ ref('stg_usage__users') }}
),

user_days as (
    select * from {{ ref('int_usage_user_day') }}
),

usage_firsts as (
    select * from {{ ref('int_usage_firsts') }}
),

adoption_stages as (
    {{ labelled_seed('adoption_stages', 'adoption_stage', 'adoption_stage') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
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

grid_days as (
    select
        snapshot_date,
        row_number() over (order by snapshot_date) as grid_number
    from snapshot_dates
    where is_grid_day
),

accounts as (
    select account_id from users
    union
    select account_id from health
),

-- stage 1: the first ID issued
first_ids as (
    select
        users.account_id,
        min(users.created_on) as first_id_issued_on
    from users
    cross join as_of
    where users.created_on <= as_of.as_of_date
    group by users.account_id
),

-- stage 2: the first core action
first_core_actions as (
    select
        usage_firsts.account_id,
        min(usage_firsts.first_core_action_on) as first_core_action_on
    from usage_firsts
    cross join as_of
    where usage_firsts.first_core_action_on <= as_of.as_of_date
    group by usage_firsts.account_id
),

-- stage 3: runs of consecutive grid days with wau_rate at or above the threshold
habit_weeks as (
    select
        health.account_id,
        health.snapshot_date,
        grid_days.grid_number
        - row_number() over (partition by health.account_id order by health.snapshot_date)
            as run_id
    from health
    inner join grid_days
        on health.snapshot_date = grid_days.snapshot_date
    cross join stage_rules
    where health.wau_rate >= stage_rules.habit_threshold
),

habit_runs as (
    select
        account_id,
        snapshot_date,
        row_number() over (partition by account_id, run_id order by snapshot_date) as run_length
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
        health.account_id,
        min(health.snapshot_date) as mobile_reached_on
    from health
    cross join stage_rules
    where health.mobile_wau_rate >= stage_rules.mobile_threshold
    group by health.account_id
),

-- stage 5: the first snapshot whose window holds a day with an advanced feature
advanced_days as (
    select distinct
        user_days.account_id,
        user_days.activity_date,
        {{ add_days('user_days.activity_date', 'stage_rules.advanced_window_days - 1') }} as counts_until
    from user_days
    cross join stage_rules
    where
        user_days.advanced_events > 0
        and user_days.activity_date
        >= {{ add_days('(select min(snapshot_date) from snapshot_dates)', '1 - stage_rules.advanced_window_days') }}
),

first_advanced as (
    select
        advanced_days.account_id,
        min(snapshot_dates.snapshot_date) as advanced_feature_reached_on
    from advanced_days
    inner join snapshot_dates
        on
            advanced_days.activity_date <= snapshot_dates.snapshot_date
            and advanced_days.counts_until >= snapshot_dates.snapshot_date
    group by advanced_days.account_id
),

staged as (
    select
        accounts.account_id,
        as_of.as_of_date as snapshot_date,
        first_ids.first_id_issued_on,
        first_core_actions.first_core_action_on,
        first_habits.weekly_habit_reached_on,
        first_mobile.mobile_reached_on,
        first_advanced.advanced_feature_reached_on,
        case
            when first_ids.first_id_issued_on is null then 0
            when first_core_actions.first_core_action_on is null then 1
            when first_habits.weekly_habit_reached_on is null then 2
            when first_mobile.mobile_reached_on is null then 3
            when first_advanced.advanced_feature_reached_on is null then 4
            else 5
        end as adoption_stage
    from accounts
    cross join as_of
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
