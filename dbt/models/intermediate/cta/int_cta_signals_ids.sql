-- CTA rules on user IDs: seat_expansion, champion_inactive (readings 12, 28) and
-- shared_id_suspected (reading 15).

with

snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
),

users as (
    select * from {{ ref('stg_usage__users') }}
),

all_user_days as (
    select * from {{ ref('int_usage_user_day') }}
),

rules as (
    select * from {{ ref('cta_rules') }}
    where enabled and cta_type in ('seat_expansion', 'champion_inactive', 'shared_id_suspected')
),

-- the days the rules below look at: from the month before the first evaluated date's month
-- (champion_inactive) or the shared-ID window before it, to the last evaluated date
read_bounds as (
    select
        least(
            {{ add_months(month_start('min(snapshots.snapshot_date)'), -1) }},
            {{ add_days('min(snapshots.snapshot_date)', "1 - (select coalesce(max(rules.window_days), 1) from rules where rules.cta_type = 'shared_id_suspected')") }}
        ) as first_day,
        max(snapshots.snapshot_date) as last_day
    from snapshots
),

read_days as (
    {{ date_range_rows('read_bounds.first_day', 'read_bounds.last_day', 'read_bounds') }}
),

-- only those days' rows of the user-day model are read (a daily build: a month or two)
user_days as (
    select all_user_days.*
    from all_user_days
    inner join read_days
        on all_user_days.activity_date = read_days.day
),

-- seat_expansion ---------------------------------------------------------------------

seat_rule as (
    select * from rules
    where cta_type = 'seat_expansion'
),

ids_issued as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        count(users.user_id) as ids_issued
    from snapshots
    cross join seat_rule
    inner join users
        on
            snapshots.account_id = users.account_id
            and users.created_on between {{ add_days('snapshots.snapshot_date', '1 - seat_rule.window_days') }}
            and snapshots.snapshot_date
    group by snapshots.account_id, snapshots.snapshot_date
),

seat_measures as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        snapshots.active_ids,
        snapshots.seats,
        case
            when snapshots.seats > 0 then snapshots.active_ids / cast(snapshots.seats as double)
        end as id_issue_rate,
        coalesce(ids_issued.ids_issued, 0) as ids_issued,
        seat_rule.cta_type,
        seat_rule.threshold,
        seat_rule.threshold_2,
        seat_rule.window_days
    from snapshots
    cross join seat_rule
    left join ids_issued
        on
            snapshots.account_id = ids_issued.account_id
            and snapshots.snapshot_date = ids_issued.snapshot_date
),

seat_expansion as (
    select
        account_id,
        snapshot_date,
        cta_type,
        case when id_issue_rate >= threshold then id_issue_rate else ids_issued end as metric_value,
        case when id_issue_rate >= threshold then threshold else threshold_2 end as threshold,
        cast(active_ids as string) || ' of ' || cast(seats as string) || ' seats in use ('
        || coalesce({{ pct_text('id_issue_rate') }}, 'n/a') || '), '
        || cast(ids_issued as string) || ' IDs issued in the last '
        || cast(window_days as string) || ' days' as reason,
        'usage_state' as source_kind,
        cast(null as string) as source_id
    from seat_measures
    where
        id_issue_rate >= threshold
        or ids_issued >= threshold_2
),

-- champion_inactive ------------------------------------------------------------------

champion_rule as (
    select * from rules
    where cta_type = 'champion_inactive'
),

admins as (
    select
        user_id,
        account_id,
        created_on,
        deactivated_on
    from users
    where role = 'admin'
),

admin_active_months as (
    -- only the months before the evaluated dates' months are looked at
    select distinct
        user_days.user_id,
        {{ month_start('user_days.activity_date') }} as activity_month
    from user_days
    inner join admins
        on user_days.user_id = admins.user_id
    where
        user_days.activity_date >= {{ add_months(month_start('(select min(snapshots.snapshot_date) from snapshots)'), -1) }}
        and user_days.activity_date <= (select max(snapshots.snapshot_date) from snapshots)
),

snapshot_months as (
    select
        account_id,
        snapshot_date,
        {{ add_months(month_start('snapshot_date'), -1) }} as previous_month_start
    from snapshots
),

eligible_admins as (
    -- admin IDs active at S and created before the previous calendar month began
    select
        snapshot_months.account_id,
        snapshot_months.snapshot_date,
        snapshot_months.previous_month_start,
        admins.user_id,
        admin_active_months.user_id is not null as was_active_previous_month
    from snapshot_months
    inner join admins
        on
            snapshot_months.account_id = admins.account_id
            and snapshot_months.previous_month_start > admins.created_on
            and (admins.deactivated_on is null or snapshot_months.snapshot_date < admins.deactivated_on)
    left join admin_active_months
        on
            admins.user_id = admin_active_months.user_id
            and snapshot_months.previous_month_start = admin_active_months.activity_month
),

champion_measures as (
    select
        account_id,
        snapshot_date,
        previous_month_start,
        count(*) as admin_ids,
        sum(case when was_active_previous_month then 1 else 0 end) as active_admin_ids
    from eligible_admins
    group by account_id, snapshot_date, previous_month_start
),

champion_inactive as (
    select
        champion_measures.account_id,
        champion_measures.snapshot_date,
        champion_rule.cta_type,
        cast(champion_measures.active_admin_ids as double) as metric_value,
        champion_rule.threshold,
        cast(champion_measures.active_admin_ids as string) || ' of '
        || cast(champion_measures.admin_ids as string) || ' admin IDs used the product in '
        || substr(cast(champion_measures.previous_month_start as string), 1, 7) as reason,
        'usage_state' as source_kind,
        cast(null as string) as source_id
    from champion_measures
    cross join champion_rule
    where champion_measures.active_admin_ids <= champion_rule.threshold
),

-- shared_id_suspected ----------------------------------------------------------------

shared_rule as (
    select * from rules
    where cta_type = 'shared_id_suspected'
),

multi_device_days as (
    select
        user_days.account_id,
        user_days.user_id,
        user_days.activity_date
    from user_days
    cross join shared_rule
    where
        user_days.max_devices >= shared_rule.threshold_2
        and user_days.activity_date
        > {{ add_days('(select min(snapshots.snapshot_date) from snapshots)', '0 - shared_rule.window_days') }}
        and user_days.activity_date <= (select max(snapshots.snapshot_date) from snapshots)
),

user_window_days as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        multi_device_days.user_id,
        count(distinct multi_device_days.activity_date) as multi_device_days
    from snapshots
    cross join shared_rule
    inner join multi_device_days
        on
            snapshots.account_id = multi_device_days.account_id
            and multi_device_days.activity_date
            between {{ add_days('snapshots.snapshot_date', '1 - shared_rule.window_days') }}
            and snapshots.snapshot_date
    group by snapshots.account_id, snapshots.snapshot_date, multi_device_days.user_id
),

suspected_users as (
    select
        user_window_days.*,
        count(*) over (
            partition by user_window_days.account_id, user_window_days.snapshot_date
        ) as suspected_users,
        row_number() over (
            partition by user_window_days.account_id, user_window_days.snapshot_date
            order by user_window_days.multi_device_days desc, user_window_days.user_id asc
        ) as user_rank
    from user_window_days
    cross join shared_rule
    where user_window_days.multi_device_days >= shared_rule.threshold
),

shared_id_suspected as (
    select
        suspected_users.account_id,
        suspected_users.snapshot_date,
        shared_rule.cta_type,
        cast(suspected_users.multi_device_days as double) as metric_value,
        shared_rule.threshold,
        'User ' || suspected_users.user_id || ' used ' || cast(cast(shared_rule.threshold_2 as integer) as string)
        || '+ devices on ' || cast(suspected_users.multi_device_days as string) || ' of the last '
        || cast(shared_rule.window_days as string) || ' days ('
        || cast(suspected_users.suspected_users as string) || ' such user(s))' as reason,
        'usage_state' as source_kind,
        cast(null as string) as source_id
    from suspected_users
    cross join shared_rule
    where suspected_users.user_rank = 1
),

final as (
    select * from seat_expansion
    union all
    select * from champion_inactive
    union all
    select * from shared_id_suspected
)

select * from final
