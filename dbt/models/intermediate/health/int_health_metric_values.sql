-- Every enabled health metric's value for every active account and snapshot date, in
-- long form (account_id, snapshot_date, dimension, metric, value). One row per metric
-- even when it has no value (null: denominator zero or inputs absent), so the scoring
-- can give it weight 0 (reading 25). The values come from the metric-family models;
-- the dimension and enabled flag from seed health_metrics.

with

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

deployment as (
    select * from {{ ref('int_health_deployment_metrics') }}
),

touch as (
    select * from {{ ref('int_health_touch_metrics') }}
),

voice as (
    select * from {{ ref('int_health_voice_metrics') }}
),

usage as (
    select * from {{ ref('int_health_usage_metrics') }}
),

quota as (
    select * from {{ ref('int_health_quota_metrics') }}
),

roi as (
    select * from {{ ref('int_health_roi_metrics') }}
),

health_metrics as (
    select * from {{ ref('health_metrics') }}
),

enabled_metrics as (
    select
        dimension,
        metric
    from health_metrics
    where enabled
),

wide as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        deployment.id_issue_rate,
        deployment.login_rate,
        deployment.core_action_user_rate,
        touch.days_since_touch,
        touch.decision_maker_touch,
        voice.seminar_attendance_90d,
        voice.nps_recent,
        voice.urgent_tickets_open,
        usage.wau_rate,
        usage.mobile_wau_rate,
        usage.core_actions_per_user_week,
        quota.quota_pace,
        roi.success_plan_attainment
    from account_snapshots
    left join deployment
        on
            account_snapshots.account_id = deployment.account_id
            and account_snapshots.snapshot_date = deployment.snapshot_date
    left join touch
        on
            account_snapshots.account_id = touch.account_id
            and account_snapshots.snapshot_date = touch.snapshot_date
    left join voice
        on
            account_snapshots.account_id = voice.account_id
            and account_snapshots.snapshot_date = voice.snapshot_date
    left join usage
        on
            account_snapshots.account_id = usage.account_id
            and account_snapshots.snapshot_date = usage.snapshot_date
    left join quota
        on
            account_snapshots.account_id = quota.account_id
            and account_snapshots.snapshot_date = quota.snapshot_date
    left join roi
        on
            account_snapshots.account_id = roi.account_id
            and account_snapshots.snapshot_date = roi.snapshot_date
),

final as (
    select
        wide.account_id,
        wide.snapshot_date,
        enabled_metrics.dimension,
        enabled_metrics.metric,
        cast(case enabled_metrics.metric
            when 'id_issue_rate' then wide.id_issue_rate
            when 'login_rate' then wide.login_rate
            when 'core_action_user_rate' then wide.core_action_user_rate
            when 'days_since_touch' then wide.days_since_touch
            when 'decision_maker_touch' then wide.decision_maker_touch
            when 'seminar_attendance_90d' then wide.seminar_attendance_90d
            when 'nps_recent' then wide.nps_recent
            when 'urgent_tickets_open' then wide.urgent_tickets_open
            when 'wau_rate' then wide.wau_rate
            when 'mobile_wau_rate' then wide.mobile_wau_rate
            when 'core_actions_per_user_week' then wide.core_actions_per_user_week
            when 'quota_pace' then wide.quota_pace
            when 'success_plan_attainment' then wide.success_plan_attainment
        end as double precision) as value
    from wide
    cross join enabled_metrics
)

select * from final
