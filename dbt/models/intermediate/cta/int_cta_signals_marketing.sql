-- CTA rules on marketing signals of the account's people: trial_signup (a trial lead or a
-- trial_signup engagement) and content_interest (whitepaper_download / pricing_page_view).

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
        'trial lead' as event_label
    from leads
    where lead_source = 'trial' and account_id is not null

    union all

    select
        account_id,
        occurred_on as event_on,
        'trial_signup' as cta_type,
        'trial_signup engagement' as event_label
    from engagements
    where event_type = 'trial_signup' and account_id is not null

    union all

    select
        account_id,
        occurred_on as event_on,
        'content_interest' as cta_type,
        event_type as event_label
    from engagements
    where event_type in ('whitepaper_download', 'pricing_page_view') and account_id is not null
),

counted as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        rules.cta_type,
        rules.threshold,
        rules.window_days,
        count(*) as events,
        max(marketing_events.event_on) as last_event_on,
        string_agg(distinct marketing_events.event_label, ', ' order by marketing_events.event_label) as event_labels
    from snapshots
    cross join rules
    inner join marketing_events
        on
            snapshots.account_id = marketing_events.account_id
            and rules.cta_type = marketing_events.cta_type
            and marketing_events.event_on
            between {{ add_days('snapshots.snapshot_date', '1 - rules.window_days') }}
            and snapshots.snapshot_date
    group by
        snapshots.account_id,
        snapshots.snapshot_date,
        rules.cta_type,
        rules.threshold,
        rules.window_days
),

final as (
    select
        account_id,
        snapshot_date,
        cta_type,
        cast(events as double) as metric_value,
        threshold,
        cast(events as varchar) || ' ' || event_labels || ' event(s) in the last '
        || cast(window_days as varchar) || ' days (latest ' || cast(last_event_on as varchar) || ')' as reason
    from counted
    where events >= threshold
)

select * from final
