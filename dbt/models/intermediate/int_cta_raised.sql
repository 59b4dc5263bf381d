-- Cooldown replay (reading 10): a rule that fires at S raises a CTA when no CTA of the
-- same type was raised for the account at S' with S - S' < cooldown_days. Replayed in
-- snapshot order per account and rule with a recursive CTE over the numbered firings
-- (<= health_history_weeks steps), so the history is the same on every rebuild.

with recursive

signals as (
    select * from {{ ref('int_cta_signals') }}
),

firings as (
    -- firing_number is computed once in int_cta_signals, so each recursion step is a
    -- plain equality join on a table
    select
        account_id,
        cta_type,
        snapshot_date,
        cooldown_days,
        firing_number,
    from signals
),

replay as (
    select
        account_id,
        cta_type,
        firing_number,
        snapshot_date,
        snapshot_date as last_raised_on,
        true as is_raised,
    from firings
    where firing_number = 1

    union all

    select
        firings.account_id,
        firings.cta_type,
        firings.firing_number,
        firings.snapshot_date,
        case
            when {{ days_between('replay.last_raised_on', 'firings.snapshot_date') }} >= firings.cooldown_days
                then firings.snapshot_date
            else replay.last_raised_on
        end as last_raised_on,
        {{ days_between('replay.last_raised_on', 'firings.snapshot_date') }} >= firings.cooldown_days as is_raised,
    from replay
    inner join firings
        on replay.account_id = firings.account_id
        and replay.cta_type = firings.cta_type
        and firings.firing_number = replay.firing_number + 1
),

final as (
    select
        signals.account_id,
        signals.cta_type,
        signals.snapshot_date as triggered_on,
        signals.direction,
        signals.priority,
        signals.cooldown_days,
        signals.metric_value,
        signals.threshold,
        signals.reason,
    from replay
    inner join signals
        on replay.account_id = signals.account_id
        and replay.cta_type = signals.cta_type
        and replay.snapshot_date = signals.snapshot_date
    where replay.is_raised
)

select * from final
