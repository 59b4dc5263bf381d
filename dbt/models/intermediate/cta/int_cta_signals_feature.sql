-- CTA rule feature_spike (reading 11): a feature other than core_action, web_session and
-- mobile_session with events in the last window_days (S-6..S) >= threshold x its weekly
-- mean over the window_days_2 days before (S-34..S-7, divided by window_days_2 /
-- window_days = 4) and >= threshold_2 events; only for accounts that have been customers
-- since S - (window_days + window_days_2) or earlier. A zero baseline may fire.
-- Both windows are differences of one running total per account and feature (see
-- probes), so the cost grows linearly with the feature-day rows.
-- When several features spike at once the strongest (by ratio to baseline) is reported.

with

snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
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
        snapshots.snapshot_date
    from snapshots
    cross join rule
    where
        snapshots.customer_since
        <= {{ add_days('snapshots.snapshot_date', '0 - rule.window_days - rule.window_days_2') }}
),

non_core_days as (
    select
        feature_days.account_id,
        feature_days.activity_date,
        feature_days.feature,
        cast(feature_days.event_count as bigint) as event_count
    from feature_days
    cross join rule
    where
        feature_days.feature not in ('core_action', 'web_session', 'mobile_session')
        and feature_days.account_id in (select established.account_id from established)
        -- the running totals only differ inside the evaluated dates' windows: read those
        and feature_days.activity_date > {{ add_days(
            '(select min(established.snapshot_date) from established)',
            '0 - rule.window_days - rule.window_days_2'
        ) }}
        and feature_days.activity_date <= (select max(established.snapshot_date) from established)
),

account_features as (
    select distinct
        account_id,
        feature
    from non_core_days
),

probe_offsets as (
    select
        'at_snapshot' as probe,
        0 as offset_days
    from rule
    union all
    select
        'recent_start' as probe,
        window_days as offset_days
    from rule
    union all
    select
        'baseline_start' as probe,
        window_days + window_days_2 as offset_days
    from rule
),

-- Windows as differences of one running total per account and feature: probe rows at S
-- (end of the recent window), S - window_days (end of the baseline) and
-- S - window_days - window_days_2 (before the baseline) are interleaved with the
-- feature-day events. Equality joins only, so it scales linearly with the usage rows.
probes as (
    select
        established.account_id,
        account_features.feature,
        established.snapshot_date,
        probe_offsets.probe,
        {{ add_days('established.snapshot_date', '0 - probe_offsets.offset_days') }} as on_date
    from established
    inner join account_features
        on established.account_id = account_features.account_id
    cross join probe_offsets
),

timeline as (
    select
        account_id,
        feature,
        activity_date as on_date,
        event_count,
        cast(null as date) as snapshot_date,
        cast(null as string) as probe
    from non_core_days

    union all

    select
        account_id,
        feature,
        on_date,
        cast(0 as bigint) as event_count,
        snapshot_date,
        probe
    from probes
),

running as (
    select
        account_id,
        feature,
        snapshot_date,
        probe,
        sum(event_count) over (
            partition by account_id, feature
            order by on_date
            range between unbounded preceding and current row
        ) as cumulative_events
    from timeline
),

windows as (
    select
        account_id,
        snapshot_date,
        feature,
        max(case when probe = 'at_snapshot' then cumulative_events end)
        - max(case when probe = 'recent_start' then cumulative_events end) as recent_events,
        max(case when probe = 'recent_start' then cumulative_events end)
        - max(case when probe = 'baseline_start' then cumulative_events end) as baseline_events
    from running
    where probe is not null
    group by account_id, snapshot_date, feature
),

measured as (
    select
        windows.*,
        windows.baseline_events * rule.window_days / cast(rule.window_days_2 as double) as baseline_weekly_mean,
        rule.cta_type,
        rule.threshold,
        rule.threshold_2,
        rule.window_days,
        rule.window_days_2
    from windows
    cross join rule
),

spikes as (
    select
        measured.*,
        row_number() over (
            partition by account_id, snapshot_date
            order by recent_events / nullif(baseline_weekly_mean, 0) desc nulls first, recent_events desc, feature asc
        ) as spike_rank
    from measured
    where
        recent_events > 0
        and recent_events >= threshold * baseline_weekly_mean
        and recent_events >= threshold_2
),

final as (
    select
        account_id,
        snapshot_date,
        cta_type,
        cast(recent_events as double) as metric_value,
        greatest(threshold * baseline_weekly_mean, threshold_2) as threshold,
        'Feature ' || feature || ': ' || cast(recent_events as string) || ' events in the last '
        || cast(window_days as string) || ' days vs a weekly mean of '
        || {{ num_text('baseline_weekly_mean') }} || ' over the ' || cast(window_days_2 as string)
        || ' days before' as reason,
        'usage_state' as source_kind,
        cast(null as string) as source_id
    from spikes
    where spike_rank = 1
)

select * from final
