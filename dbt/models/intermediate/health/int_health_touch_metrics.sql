-- Touch metrics per active account and snapshot date S (CONTRACT section 4, readings 5-6):
--   days_since_touch     = days from the last meeting / regular_meeting / call / onsite on
--                          or before S to S; never touched = days since customer_since
--   decision_maker_touch = 1 if an activity of any type with a decision_maker contact
--                          happened in the last window_days days (S-N+1..S), else 0
-- The latest touch on or before each snapshot is a running max over snapshot periods.

with

snapshot_dates as (
    select * from {{ ref('int_snapshot_batch_dates') }}
),

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

health_metrics as (
    select * from {{ ref('health_metrics') }}
),

-- one row even when the metric is missing from the seed
decision_maker_window as (
    select max(case when metric = 'decision_maker_touch' then window_days end) as window_days
    from health_metrics
),

touches as (
    select
        activities.account_id,
        activities.occurred_on,
        case
            when activities.activity_type in ('meeting', 'regular_meeting', 'call', 'onsite')
                then 1
            else 0
        end as is_personal_touch,
        case when contacts.role = 'decision_maker' then 1 else 0 end as is_decision_maker_touch
    from activities
    left join contacts
        on activities.contact_id = contacts.contact_id
    where activities.account_id is not null
),

-- each event day mapped to the snapshot whose period holds it: a small day x snapshot
-- map, so the events themselves need only an equality join
touches_day_periods as (
    {{ snapshot_period_map('touches', 'occurred_on') }}
),

period_touches as (
    select
        touches.account_id,
        touches_day_periods.snapshot_date,
        max(case when touches.is_personal_touch = 1 then touches.occurred_on end)
            as last_personal_touch_on,
        max(case when touches.is_decision_maker_touch = 1 then touches.occurred_on end)
            as last_decision_maker_touch_on
    from touches
    inner join touches_day_periods
        on touches.occurred_on = touches_day_periods.occurred_on
    group by touches.account_id, touches_day_periods.snapshot_date
),

latest_touches as (
    {{ running_at_snapshots('period_touches', 'account_snapshots', [('max', 'last_personal_touch_on', 'last_personal_touch_on'), ('max', 'last_decision_maker_touch_on', 'last_decision_maker_touch_on')]) }}
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        latest_touches.last_personal_touch_on,
        latest_touches.last_decision_maker_touch_on,
        cast(
            {{ dbt.datediff(
                'coalesce(latest_touches.last_personal_touch_on, account_snapshots.customer_since)',
                'account_snapshots.snapshot_date',
                'day'
            ) }} as double
        ) as days_since_touch,
        cast(
            case
                when
                    {{ dbt.datediff(
                        'latest_touches.last_decision_maker_touch_on',
                        'account_snapshots.snapshot_date',
                        'day'
                    ) }} < decision_maker_window.window_days
                    then 1
                else 0
            end as double
        ) as decision_maker_touch
    from account_snapshots
    cross join decision_maker_window
    left join latest_touches
        on
            account_snapshots.account_id = latest_touches.account_id
            and account_snapshots.snapshot_date = latest_touches.snapshot_date
)

select * from final
