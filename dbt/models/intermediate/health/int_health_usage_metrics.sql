-- Usage-window metrics per active account and snapshot date S (CONTRACT section 4,
-- reading 4), each over its own window S-N+1..S (N = health_metrics.window_days):
--   wau_rate                   = distinct active IDs with any activity / active IDs
--   mobile_wau_rate            = distinct active IDs with a mobile_session / active IDs
--   core_actions_per_user_week = core_action events (all of the account's usage rows) / active IDs
-- Usage rows are attributed by their own account_id (reading 21). Reads the user-day
-- model once, and only the days inside the batch dates' windows: each user-day joins the few
-- snapshots whose longest window holds it.

with

snapshot_dates as (
    select * from {{ ref('int_snapshot_batch_dates') }}
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

-- only the days inside some batch date's longest window are read (a daily build: a week)
batch_bounds as (
    select
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as last_snapshot_date
    from snapshot_dates
),

health_metrics as (
    select * from {{ ref('health_metrics') }}
),

metric_windows as (
    select
        max(case when metric = 'wau_rate' then window_days end) as wau_window_days,
        max(case when metric = 'mobile_wau_rate' then window_days end) as mobile_window_days,
        max(case when metric = 'core_actions_per_user_week' then window_days end)
            as core_window_days
    from health_metrics
),

windows as (
    select
        wau_window_days,
        mobile_window_days,
        core_window_days,
        case
            when
                wau_window_days >= mobile_window_days
                and wau_window_days >= core_window_days
                then wau_window_days
            when mobile_window_days >= core_window_days then mobile_window_days
            else core_window_days
        end as longest_window_days
    from metric_windows
),

-- the few snapshots whose longest window holds each day, with the windows of each metric
-- it falls in: a small day x snapshot map (days x ~1 rows for 7-day windows), so the large
-- user-day table needs only an equality join, which reads just these days' rows
usage_days as (
    select day as activity_date
    from (
        {{ date_range_rows(
            add_days('batch_bounds.first_snapshot_date', '1 - windows.longest_window_days'),
            'batch_bounds.last_snapshot_date',
            'batch_bounds cross join windows'
        ) }}
    ) as days
),

usage_days_reach as (
    select
        usage_days.activity_date,
        cast(
            {{ dbt.dateadd('day', 'windows.longest_window_days - 1', 'usage_days.activity_date') }}
            as date
        ) as counts_until
    from usage_days
    cross join windows
),

day_windows as (
    select
        usage_days_reach.activity_date,
        snapshot_dates.snapshot_date,
        {{ dbt.datediff('usage_days_reach.activity_date', 'snapshot_dates.snapshot_date', 'day') }}
        < windows.wau_window_days as in_wau_window,
        {{ dbt.datediff('usage_days_reach.activity_date', 'snapshot_dates.snapshot_date', 'day') }}
        < windows.mobile_window_days as in_mobile_window,
        {{ dbt.datediff('usage_days_reach.activity_date', 'snapshot_dates.snapshot_date', 'day') }}
        < windows.core_window_days as in_core_window
    from usage_days_reach
    inner join snapshot_dates
        on
            usage_days_reach.activity_date <= snapshot_dates.snapshot_date
            and usage_days_reach.counts_until >= snapshot_dates.snapshot_date
    cross join windows
),

user_windows as (
    select
        user_days.account_id,
        day_windows.snapshot_date,
        user_days.user_id,
        max(case when day_windows.in_wau_window then 1 else 0 end) as is_weekly_active,
        max(
            case when day_windows.in_mobile_window and user_days.mobile_events > 0 then 1 else 0 end
        ) as is_mobile_active,
        sum(
            case when day_windows.in_core_window then user_days.core_action_events else 0 end
        ) as core_action_events
    from user_days
    inner join day_windows
        on user_days.activity_date = day_windows.activity_date
    group by user_days.account_id, day_windows.snapshot_date, user_days.user_id
),

-- reading 4: only IDs active at S count in the numerators
user_windows_checked as (
    select
        user_windows.*,
        coalesce(
            users.created_on <= user_windows.snapshot_date
            and (users.deactivated_on is null or users.deactivated_on > user_windows.snapshot_date),
            false
        ) as is_active_id
    from user_windows
    left join users
        on user_windows.user_id = users.user_id
),

account_windows as (
    select
        account_id,
        snapshot_date,
        sum(case when is_active_id and is_weekly_active = 1 then 1 else 0 end) as weekly_active_ids,
        sum(case when is_active_id and is_mobile_active = 1 then 1 else 0 end) as mobile_active_ids,
        sum(core_action_events) as core_action_events
    from user_windows_checked
    group by account_id, snapshot_date
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        account_snapshots.active_ids,
        coalesce(account_windows.weekly_active_ids, 0) as weekly_active_ids,
        coalesce(account_windows.mobile_active_ids, 0) as mobile_active_ids,
        coalesce(account_windows.core_action_events, 0) as core_action_events_week,
        cast(coalesce(account_windows.weekly_active_ids, 0) as double)
        / nullif(account_snapshots.active_ids, 0) as wau_rate,
        cast(coalesce(account_windows.mobile_active_ids, 0) as double)
        / nullif(account_snapshots.active_ids, 0) as mobile_wau_rate,
        cast(coalesce(account_windows.core_action_events, 0) as double)
        / nullif(account_snapshots.active_ids, 0) as core_actions_per_user_week
    from account_snapshots
    left join account_windows
        on
            account_snapshots.account_id = account_windows.account_id
            and account_snapshots.snapshot_date = account_windows.snapshot_date
)

select * from final
