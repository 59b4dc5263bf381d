-- The CSM's pulse as a health metric, per active account and snapshot date S (CONTRACT
-- section 11): csm_pulse = the account's latest pulse (1 = about to leave .. 5 = advocate;
-- the latest by recorded_at, then pulse_id) recorded in the last pulse_window_days days
-- (var, 90) up to S, i.e. recorded on S - N + 1 .. S; none in that window = null, so the
-- metric has no value and its weight is re-normalised away (reading 25).

with

snapshot_dates as (
    select * from {{ ref('int_snapshot_batch_dates') }}
),

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

pulses as (
    select * from {{ ref('stg_cs_inputs__pulse') }}
),

-- a pulse is the account's latest from the day it is recorded until the next pulse's day
-- (a later pulse the same day replaces it at once), and stays in the window for N days: it
-- counts at the snapshots in [recorded_on, min(next recorded_on - 1, recorded_on + N - 1)]
ordered_pulses as (
    select
        account_id,
        recorded_on,
        pulse,
        lead(recorded_on) over (
            partition by account_id
            order by recorded_at, pulse_id
        ) as next_recorded_on
    from pulses
    where account_id is not null
),

pulse_validity as (
    select
        account_id,
        recorded_on,
        pulse,
        case
            when
                next_recorded_on is not null
                and cast({{ dbt.dateadd('day', -1, 'next_recorded_on') }} as date)
                < cast({{ dbt.dateadd('day', var('pulse_window_days') - 1, 'recorded_on') }} as date)
                then cast({{ dbt.dateadd('day', -1, 'next_recorded_on') }} as date)
            else cast({{ dbt.dateadd('day', var('pulse_window_days') - 1, 'recorded_on') }} as date)
        end as counts_until
    from ordered_pulses
),

pulse_at_snapshots as (
    select
        pulse_validity.account_id,
        snapshot_dates.snapshot_date,
        pulse_validity.recorded_on,
        pulse_validity.pulse
    from pulse_validity
    inner join snapshot_dates
        on
            pulse_validity.recorded_on <= snapshot_dates.snapshot_date
            and pulse_validity.counts_until >= snapshot_dates.snapshot_date
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        pulse_at_snapshots.recorded_on as pulse_recorded_on,
        cast(pulse_at_snapshots.pulse as double) as csm_pulse
    from account_snapshots
    left join pulse_at_snapshots
        on
            account_snapshots.account_id = pulse_at_snapshots.account_id
            and account_snapshots.snapshot_date = pulse_at_snapshots.snapshot_date
)

select * from final
