-- CTA rule feature_spike (reading 11): a feature other than core_action, web_session and
-- mobile_session with events in the last window_days (S-6..S) >= threshold x its weekly
-- mean over the window_days_2 days before (S-34..S-7, divided by window_days_2 /
-- window_days = 4) and >= threshold_2 events; only for accounts that have been customers
-- since S - (window_days + window_days_2) or earlier. A zero baseline may fire.
-- When several features spike at once the strongest (by ratio to baseline) is reported.

with

snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

feature_days as (
    select * from {{ ref('int_usage_account_feature_day') }}
),

rule as (
    select * from {{ ref('cta_rules') }}
    where enabled and cta_type = 'feature_spike'
),

established as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        {{ add_days('snapshots.snapshot_date', '1 - rule.window_days') }} as recent_from,
        {{ add_days('snapshots.snapshot_date', '1 - rule.window_days - rule.window_days_2') }} as baseline_from,
    from snapshots
    cross join rule
    where snapshots.customer_since
        <= {{ add_days('snapshots.snapshot_date', '0 - rule.window_days - rule.window_days_2') }}
),

non_core_days as (
    select
        account_id,
        activity_date,
        feature,
        event_count,
    from feature_days
    where feature not in ('core_action', 'web_session', 'mobile_session')
),

windows as (
    select
        established.account_id,
        established.snapshot_date,
        non_core_days.feature,
        sum(
            case when non_core_days.activity_date >= established.recent_from then non_core_days.event_count else 0 end
        ) as recent_events,
        sum(
            case when non_core_days.activity_date < established.recent_from then non_core_days.event_count else 0 end
        ) as baseline_events,
    from established
    inner join non_core_days
        on established.account_id = non_core_days.account_id
        and non_core_days.activity_date between established.baseline_from and established.snapshot_date
    group by established.account_id, established.snapshot_date, non_core_days.feature
),

measured as (
    select
        windows.*,
        windows.baseline_events * rule.window_days / cast(rule.window_days_2 as double) as baseline_weekly_mean,
        rule.cta_type,
        rule.threshold,
        rule.threshold_2,
        rule.window_days,
        rule.window_days_2,
    from windows
    cross join rule
),

spikes as (
    select
        measured.*,
        row_number() over (
            partition by account_id, snapshot_date
            order by recent_events / nullif(baseline_weekly_mean, 0) desc nulls first, recent_events desc, feature
        ) as spike_rank,
    from measured
    where recent_events >= threshold * baseline_weekly_mean
        and recent_events >= threshold_2
),

final as (
    select
        account_id,
        snapshot_date,
        cta_type,
        cast(recent_events as double) as metric_value,
        greatest(threshold * baseline_weekly_mean, threshold_2) as threshold,
        'Feature ' || feature || ': ' || cast(recent_events as varchar) || ' events in the last '
        || cast(window_days as varchar) || ' days vs a weekly mean of '
        || {{ num_text('baseline_weekly_mean') }} || ' over the ' || cast(window_days_2 as varchar)
        || ' days before' as reason,
    from spikes
    where spike_rank = 1
)

select * from final
