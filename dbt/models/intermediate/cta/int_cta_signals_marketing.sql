-- CTA rules on marketing signals of the account's people: trial_signup (a trial lead or a
-- trial_signup engagement) and content_interest (whitepaper_download / pricing_page_view).
-- The record that raised a firing (source_kind lead or engagement, source_id its lead_id or
-- event_id) is the latest qualifying event in the window (by its timestamp, then the
-- greater kind and id).

with

snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
),

leads as (
    select * from {{ ref('stg_marketing__leads') }}
),

engagements as (
    select * from {{ ref('stg_marketing__engagements') }}
),

rules as (
    select * from {{ ref('cta_rules') }}
    where enabled and cta_type in ('trial_signup', 'content_interest')
),

marketing_events as (
    select
        account_id,
        created_on as event_on,
        'trial_signup' as cta_type,
        'trial lead' as event_label,
        created_at as event_at,
        'lead' as source_kind,
        lead_id as source_id
    from leads
    where lead_source = 'trial' and account_id is not null

    union all

    select
        account_id,
        occurred_on as event_on,
        'trial_signup' as cta_type,
        'trial_signup engagement' as event_label,
        occurred_at as event_at,
        'engagement' as source_kind,
        event_id as source_id
    from engagements
    where event_type = 'trial_signup' and account_id is not null

    union all

    select
        account_id,
        occurred_on as event_on,
        'content_interest' as cta_type,
        event_type as event_label,
        occurred_at as event_at,
        'engagement' as source_kind,
        event_id as source_id
    from engagements
    where event_type in ('whitepaper_download', 'pricing_page_view') and account_id is not null
),

in_window as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        rules.cta_type,
        rules.threshold,
        rules.window_days,
        marketing_events.event_on,
        marketing_events.event_label,
        marketing_events.source_kind,
        marketing_events.source_id,
        row_number() over (
            partition by snapshots.account_id, snapshots.snapshot_date, rules.cta_type
            order by
                marketing_events.event_at desc,
                marketing_events.source_kind desc,
                marketing_events.source_id desc
        ) as recency_rank
    from snapshots
    cross join rules
    inner join marketing_events
        on
            snapshots.account_id = marketing_events.account_id
            and rules.cta_type = marketing_events.cta_type
            and marketing_events.event_on
            between {{ add_days('snapshots.snapshot_date', '1 - rules.window_days') }}
            and snapshots.snapshot_date
),

counted as (
    select
        account_id,
        snapshot_date,
        cta_type,
        threshold,
        window_days,
        count(*) as events,
        max(event_on) as last_event_on,
        {{ string_agg_sorted('event_label', "', '", distinct=true) }} as event_labels,
        max(case when recency_rank = 1 then source_kind end) as source_kind,
        max(case when recency_rank = 1 then source_id end) as source_id
    from in_window
    group by
        account_id,
        snapshot_date,
        cta_type,
        threshold,
        window_days
),

final as (
    select
        account_id,
        snapshot_date,
        cta_type,
        cast(events as double) as metric_value,
        threshold,
        cast(events as string) || ' ' || event_labels || ' event(s) in the last '
        || cast(window_days as string) || ' days (latest ' || cast(last_event_on as string) || ')' as reason,
        source_kind,
        cast(source_id as string) as source_id
    from counted
    where events >= threshold
)

select * from final
