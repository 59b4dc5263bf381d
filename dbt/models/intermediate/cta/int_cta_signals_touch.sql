-- CTA rules on the relationship and support record: engagement_gap (reading 28),
-- silent_onboarding (reading 14), nps_detractor and ticket_surge.
-- The record that raised a firing: nps_detractor its latest detractor answer in the window
-- (source_kind nps_response), ticket_surge its latest ticket in the window that counts for
-- the threshold it met (high/urgent ones when those reached it; kind ticket) - latest by
-- timestamp, then the greater id. engagement_gap and silent_onboarding fire on what did not
-- happen during the contract: kind contract_state, no single record (source_id null).

with

snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
),

activities as (
    select * from {{ ref('stg_crm__activities') }}
),

registrations as (
    select * from {{ ref('stg_seminars__registrations') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

nps_responses as (
    select * from {{ ref('stg_nps__responses') }}
),

rules as (
    select * from {{ ref('cta_rules') }}
    where enabled
        and cta_type in ('engagement_gap', 'silent_onboarding', 'nps_detractor', 'ticket_surge')
),

-- engagement_gap ---------------------------------------------------------------------

gap_rule as (
    select * from rules
    where cta_type = 'engagement_gap'
),

touches as (
    select
        account_id,
        occurred_on
    from activities
    where activity_type in ('meeting', 'regular_meeting', 'call', 'onsite')
),

gap_snapshots as (
    select snapshots.*
    from snapshots
    cross join gap_rule
    where (
        gap_rule.segments is null
        or ' ' || gap_rule.segments || ' ' like '% ' || snapshots.segment || ' %'
    )
),

touch_timeline as (
    -- the last touch on or before S, found by one running max over touches and snapshots
    select
        account_id,
        occurred_on as on_date,
        0 as is_snapshot,
        occurred_on as touched_on,
        cast(null as date) as snapshot_date
    from touches
    where touches.account_id in (select gap_snapshots.account_id from gap_snapshots)

    union all

    select
        account_id,
        snapshot_date as on_date,
        1 as is_snapshot,
        cast(null as date) as touched_on,
        snapshot_date
    from gap_snapshots
),

last_touch as (
    select
        account_id,
        snapshot_date,
        max(touched_on) over (
            partition by account_id
            order by on_date, is_snapshot
            rows between unbounded preceding and current row
        ) as last_touched_on,
        is_snapshot
    from touch_timeline
),

engagement_gap as (
    select
        gap_snapshots.account_id,
        gap_snapshots.snapshot_date,
        gap_rule.cta_type,
        cast(
            {{ days_between('coalesce(last_touch.last_touched_on, gap_snapshots.customer_since)', 'gap_snapshots.snapshot_date') }}
            as double
        ) as metric_value,
        cast(gap_rule.window_days as double) as threshold,
        'No meeting, call or onsite visit in the last ' || cast(gap_rule.window_days as string) || ' days ('
        || coalesce(
            'last on ' || cast(last_touch.last_touched_on as string),
            'never, customer since ' || cast(gap_snapshots.customer_since as string)
        )
        || ', ' || gap_snapshots.segment || ' account)' as reason,
        'contract_state' as source_kind,
        cast(null as string) as source_id
    from gap_snapshots
    cross join gap_rule
    inner join last_touch
        on gap_snapshots.account_id = last_touch.account_id
            and gap_snapshots.snapshot_date = last_touch.snapshot_date
            and last_touch.is_snapshot = 1
    where gap_snapshots.customer_since <= {{ add_days('gap_snapshots.snapshot_date', '0 - gap_rule.window_days') }}
        and (
            last_touch.last_touched_on is null
            or last_touch.last_touched_on <= {{ add_days('gap_snapshots.snapshot_date', '0 - gap_rule.window_days') }}
        )
),

-- silent_onboarding ------------------------------------------------------------------

silent_rule as (
    select * from rules
    where cta_type = 'silent_onboarding'
),

onboarding_snapshots as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        snapshots.customer_since,
        {{ days_between('snapshots.customer_since', 'snapshots.snapshot_date') }} as days_as_customer
    from snapshots
    cross join silent_rule
    where {{ days_between('snapshots.customer_since', 'snapshots.snapshot_date') }}
        between silent_rule.day_from and silent_rule.day_to
),

onboarding_touches as (
    select
        account_id,
        held_on as touched_on
    from registrations
    where attended and account_id is not null

    union all

    select
        account_id,
        created_on as touched_on
    from tickets
    where account_id is not null
),

touched_onboardings as (
    select distinct
        onboarding_snapshots.account_id,
        onboarding_snapshots.snapshot_date
    from onboarding_snapshots
    inner join onboarding_touches
        on onboarding_snapshots.account_id = onboarding_touches.account_id
            and onboarding_touches.touched_on
            between onboarding_snapshots.customer_since and onboarding_snapshots.snapshot_date
),

silent_onboarding as (
    select
        onboarding_snapshots.account_id,
        onboarding_snapshots.snapshot_date,
        silent_rule.cta_type,
        cast(onboarding_snapshots.days_as_customer as double) as metric_value,
        cast(silent_rule.day_from as double) as threshold,
        'Customer for ' || cast(onboarding_snapshots.days_as_customer as string)
        || ' days (since ' || cast(onboarding_snapshots.customer_since as string)
        || ') with no seminar attended and no support ticket' as reason,
        'contract_state' as source_kind,
        cast(null as string) as source_id
    from onboarding_snapshots
    cross join silent_rule
    left join touched_onboardings
        on onboarding_snapshots.account_id = touched_onboardings.account_id
            and onboarding_snapshots.snapshot_date = touched_onboardings.snapshot_date
    where touched_onboardings.account_id is null
),

-- nps_detractor ----------------------------------------------------------------------

nps_rule as (
    select * from rules
    where cta_type = 'nps_detractor'
),

nps_responses_in_window as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        nps_responses.response_id,
        nps_responses.score,
        nps_responses.score <= nps_rule.threshold as is_detractor,
        row_number() over (
            partition by snapshots.account_id, snapshots.snapshot_date
            order by
                case when nps_responses.score <= nps_rule.threshold then 0 else 1 end,
                nps_responses.responded_at desc,
                nps_responses.response_id desc
        ) as detractor_rank
    from snapshots
    cross join nps_rule
    inner join nps_responses
        on snapshots.account_id = nps_responses.account_id
            and nps_responses.responded_on
            between {{ add_days('snapshots.snapshot_date', '1 - nps_rule.window_days') }}
            and snapshots.snapshot_date
),

nps_in_window as (
    select
        account_id,
        snapshot_date,
        min(score) as lowest_score,
        sum(case when is_detractor then 1 else 0 end) as detractor_responses,
        count(*) as responses,
        max(case when detractor_rank = 1 and is_detractor then response_id end) as latest_detractor_response_id
    from nps_responses_in_window
    group by account_id, snapshot_date
),

nps_detractor as (
    select
        nps_in_window.account_id,
        nps_in_window.snapshot_date,
        nps_rule.cta_type,
        cast(nps_in_window.lowest_score as double) as metric_value,
        nps_rule.threshold,
        'NPS score ' || cast(nps_in_window.lowest_score as string) || ' received ('
        || cast(nps_in_window.detractor_responses as string) || ' of '
        || cast(nps_in_window.responses as string) || ' responses in the last '
        || cast(nps_rule.window_days as string) || ' days scored '
        || cast(cast(nps_rule.threshold as integer) as string) || ' or less)' as reason,
        'nps_response' as source_kind,
        cast(nps_in_window.latest_detractor_response_id as string) as source_id
    from nps_in_window
    cross join nps_rule
    where nps_in_window.lowest_score <= nps_rule.threshold
),

-- ticket_surge -----------------------------------------------------------------------

ticket_rule as (
    select * from rules
    where cta_type = 'ticket_surge'
),

ticket_rows_in_window as (
    select
        snapshots.account_id,
        snapshots.snapshot_date,
        tickets.ticket_id,
        {{ is_high_priority('tickets.priority') }} as is_high_urgent,
        row_number() over (
            partition by snapshots.account_id, snapshots.snapshot_date
            order by tickets.created_at desc, tickets.ticket_id desc
        ) as recency_rank,
        row_number() over (
            partition by snapshots.account_id, snapshots.snapshot_date
            order by
                case when {{ is_high_priority('tickets.priority') }} then 0 else 1 end,
                tickets.created_at desc,
                tickets.ticket_id desc
        ) as high_urgent_rank
    from snapshots
    cross join ticket_rule
    inner join tickets
        on snapshots.account_id = tickets.account_id
            and tickets.created_on
            between {{ add_days('snapshots.snapshot_date', '1 - ticket_rule.window_days') }}
            and snapshots.snapshot_date
),

tickets_in_window as (
    select
        account_id,
        snapshot_date,
        count(*) as tickets,
        sum(case when is_high_urgent then 1 else 0 end) as high_urgent_tickets,
        max(case when recency_rank = 1 then ticket_id end) as latest_ticket_id,
        max(case when high_urgent_rank = 1 and is_high_urgent then ticket_id end) as latest_high_urgent_ticket_id
    from ticket_rows_in_window
    group by account_id, snapshot_date
),

ticket_surge as (
    select
        tickets_in_window.account_id,
        tickets_in_window.snapshot_date,
        ticket_rule.cta_type,
        cast(
            case
                when tickets_in_window.high_urgent_tickets >= ticket_rule.threshold
                    then tickets_in_window.high_urgent_tickets
                else tickets_in_window.tickets
            end as double
        ) as metric_value,
        case
            when tickets_in_window.high_urgent_tickets >= ticket_rule.threshold then ticket_rule.threshold
            else ticket_rule.threshold_2
        end as threshold,
        cast(tickets_in_window.tickets as string) || ' tickets ('
        || cast(tickets_in_window.high_urgent_tickets as string) || ' high/urgent) created in the last '
        || cast(ticket_rule.window_days as string) || ' days' as reason,
        'ticket' as source_kind,
        cast(
            case
                when tickets_in_window.high_urgent_tickets >= ticket_rule.threshold
                    then tickets_in_window.latest_high_urgent_ticket_id
                else tickets_in_window.latest_ticket_id
            end as string
        ) as source_id
    from tickets_in_window
    cross join ticket_rule
    where tickets_in_window.high_urgent_tickets >= ticket_rule.threshold
        or tickets_in_window.tickets >= ticket_rule.threshold_2
),

final as (
    select * from engagement_gap
    union all
    select * from silent_onboarding
    union all
    select * from nps_detractor
    union all
    select * from ticket_surge
)

select * from final
