-- Engagement metrics from the customer's own voice and behaviour, per active account and
-- snapshot date S (CONTRACT section 4, readings 5-7):
--   seminar_attendance_90d = distinct seminars held in the last window_days days that one
--                            of the account's people attended (0 when none)
--   nps_recent             = mean of each respondent's latest score in the last
--                            window_days days (null when nobody answered)
--   urgent_tickets_open    = high / urgent tickets created on or before S and not solved
--                            by S, judged on the winning ticket version (0 when none)

with

snapshot_dates as (
    select * from {{ ref('int_snapshot_batch_dates') }}
),

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

registrations as (
    select * from {{ ref('stg_seminars__registrations') }}
),

nps_responses as (
    select * from {{ ref('stg_nps__responses') }}
),

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

health_metrics as (
    select * from {{ ref('health_metrics') }}
),

metric_windows as (
    select
        max(case when metric = 'seminar_attendance_90d' then window_days end)
            as seminar_window_days,
        max(case when metric = 'nps_recent' then window_days end) as nps_window_days
    from health_metrics
),

-- seminars: each attended seminar counts at the snapshots whose window holds its day
attended_seminars as (
    select distinct
        registrations.account_id,
        registrations.seminar_id,
        registrations.held_on,
        cast(
            {{ dbt.dateadd('day', 'metric_windows.seminar_window_days - 1', 'registrations.held_on') }}
            as date
        ) as counts_until
    from registrations
    cross join metric_windows
    where registrations.attended and registrations.account_id is not null
),

seminar_counts as (
    select
        attended_seminars.account_id,
        snapshot_dates.snapshot_date,
        count(distinct attended_seminars.seminar_id) as seminars_attended
    from attended_seminars
    inner join snapshot_dates
        on
            attended_seminars.held_on <= snapshot_dates.snapshot_date
            and attended_seminars.counts_until >= snapshot_dates.snapshot_date
    group by attended_seminars.account_id, snapshot_dates.snapshot_date
),

-- NPS: a response is its respondent's latest from the day it is given until the
-- respondent answers again, and stays in the window for window_days days: it counts at
-- the snapshots in [responded_on, min(next response day - 1, responded_on + N - 1)]
responses as (
    select
        account_id,
        email,
        responded_on,
        score,
        lead(responded_on) over (
            partition by account_id, email
            order by responded_at, response_id
        ) as next_responded_on
    from nps_responses
    where account_id is not null
),

response_validity as (
    select
        responses.account_id,
        responses.email,
        responses.responded_on,
        responses.score,
        case
            when
                responses.next_responded_on is not null
                and cast({{ dbt.dateadd('day', -1, 'responses.next_responded_on') }} as date)
                < cast(
                    {{ dbt.dateadd('day', 'metric_windows.nps_window_days - 1', 'responses.responded_on') }}
                    as date
                )
                then cast({{ dbt.dateadd('day', -1, 'responses.next_responded_on') }} as date)
            else
                cast(
                    {{ dbt.dateadd('day', 'metric_windows.nps_window_days - 1', 'responses.responded_on') }}
                    as date
                )
        end as counts_until
    from responses
    cross join metric_windows
),

latest_responses as (
    select
        response_validity.account_id,
        snapshot_dates.snapshot_date,
        response_validity.score
    from response_validity
    inner join snapshot_dates
        on
            response_validity.responded_on <= snapshot_dates.snapshot_date
            and response_validity.counts_until >= snapshot_dates.snapshot_date
),

nps_means as (
    select
        account_id,
        snapshot_date,
        count(*) as nps_respondents,
        avg(cast(score as double)) as nps_recent
    from latest_responses
    group by account_id, snapshot_date
),

-- tickets: +1 from the day created, -1 from the day solved; accumulated over snapshots
urgent_tickets as (
    select
        account_id,
        created_on,
        solved_on
    from tickets
    where
        {{ is_high_priority('priority') }}
        and account_id is not null
        and (solved_on is null or solved_on > created_on)
),

ticket_events as (
    select
        account_id,
        created_on as event_on,
        1 as delta
    from urgent_tickets

    union all

    select
        account_id,
        solved_on as event_on,
        -1 as delta
    from urgent_tickets
    where solved_on is not null
),

-- each event day mapped to the snapshot whose period holds it: a small day x snapshot
-- map, so the events themselves need only an equality join
ticket_events_day_periods as (
    {{ snapshot_period_map('ticket_events', 'event_on') }}
),

ticket_period_deltas as (
    select
        ticket_events.account_id,
        ticket_events_day_periods.snapshot_date,
        sum(ticket_events.delta) as delta
    from ticket_events
    inner join ticket_events_day_periods
        on ticket_events.event_on = ticket_events_day_periods.event_on
    group by ticket_events.account_id, ticket_events_day_periods.snapshot_date
),

open_tickets as (
    {{ running_at_snapshots('ticket_period_deltas', 'account_snapshots', [('sum', 'delta', 'urgent_tickets_open')]) }}
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        cast(coalesce(seminar_counts.seminars_attended, 0) as double)
            as seminar_attendance_90d,
        coalesce(nps_means.nps_respondents, 0) as nps_respondents,
        nps_means.nps_recent,
        cast(coalesce(open_tickets.urgent_tickets_open, 0) as double)
            as urgent_tickets_open
    from account_snapshots
    left join seminar_counts
        on
            account_snapshots.account_id = seminar_counts.account_id
            and account_snapshots.snapshot_date = seminar_counts.snapshot_date
    left join nps_means
        on
            account_snapshots.account_id = nps_means.account_id
            and account_snapshots.snapshot_date = nps_means.snapshot_date
    left join open_tickets
        on
            account_snapshots.account_id = open_tickets.account_id
            and account_snapshots.snapshot_date = open_tickets.snapshot_date
)

select * from final
