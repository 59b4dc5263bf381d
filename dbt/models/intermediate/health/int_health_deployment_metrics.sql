-- Deployment metrics per active account and snapshot date S (CONTRACT section 4):
--   id_issue_rate         = active IDs / seats at S
--   login_rate            = active IDs that have ever logged in / active IDs
--   core_action_user_rate = active IDs that have ever done a core_action / active IDs
-- "Ever" = on or before S; active at S = created_on <= S and (deactivated_on null or > S)
-- (reading 4). Computed for all snapshots at once: each user ID counts from the day it
-- qualifies (issued and logged in / issued and core action done) until it is
-- deactivated; those +1 / -1 events are summed per snapshot period and accumulated, so
-- the cost grows with accounts x snapshots, not users x snapshots.

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

usage_firsts as (
    select * from {{ ref('int_usage_firsts') }}
),

first_core_actions as (
    select
        user_id,
        min(first_core_action_on) as first_core_action_on
    from usage_firsts
    where first_core_action_on is not null
    group by user_id
),

qualifying_intervals as (
    select
        account_id,
        'logged_in' as measure,
        case
            when first_login_on > created_on then first_login_on else created_on
        end as qualified_on,
        deactivated_on
    from users
    where first_login_on is not null

    union all

    select
        users.account_id,
        'core_action' as measure,
        case
            when first_core_actions.first_core_action_on > users.created_on
                then first_core_actions.first_core_action_on
            else users.created_on
        end as qualified_on,
        users.deactivated_on
    from users
    inner join first_core_actions
        on users.user_id = first_core_actions.user_id
),

counted_intervals as (
    select * from qualifying_intervals
    where deactivated_on is null or deactivated_on > qualified_on
),

interval_events as (
    select
        account_id,
        measure,
        qualified_on as event_on,
        1 as delta
    from counted_intervals

    union all

    select
        account_id,
        measure,
        deactivated_on as event_on,
        -1 as delta
    from counted_intervals
    where deactivated_on is not null
),

-- each event day mapped to the snapshot whose period holds it: a small day x snapshot
-- map, so the events themselves need only an equality join
interval_events_day_periods as (
    {{ snapshot_period_map('interval_events', 'event_on') }}
),

period_deltas as (
    select
        interval_events.account_id,
        interval_events_day_periods.snapshot_date,
        sum(case when interval_events.measure = 'logged_in' then interval_events.delta else 0 end)
            as logged_in_delta,
        sum(case when interval_events.measure = 'core_action' then interval_events.delta else 0 end)
            as core_action_delta
    from interval_events
    inner join interval_events_day_periods
        on interval_events.event_on = interval_events_day_periods.event_on
    group by interval_events.account_id, interval_events_day_periods.snapshot_date
),

cumulative_counts as (
    {{ running_at_snapshots('period_deltas', 'account_snapshots', [('sum', 'logged_in_delta', 'logged_in_ids'), ('sum', 'core_action_delta', 'core_action_ids')]) }}
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        account_snapshots.seats,
        account_snapshots.active_ids,
        coalesce(cumulative_counts.logged_in_ids, 0) as logged_in_ids,
        coalesce(cumulative_counts.core_action_ids, 0) as core_action_ids,
        cast(account_snapshots.active_ids as double)
        / nullif(account_snapshots.seats, 0) as id_issue_rate,
        cast(coalesce(cumulative_counts.logged_in_ids, 0) as double)
        / nullif(account_snapshots.active_ids, 0) as login_rate,
        cast(coalesce(cumulative_counts.core_action_ids, 0) as double)
        / nullif(account_snapshots.active_ids, 0) as core_action_user_rate
    from account_snapshots
    left join cumulative_counts
        on
            account_snapshots.account_id = cumulative_counts.account_id
            and account_snapshots.snapshot_date = cumulative_counts.snapshot_date
)

select * from final
