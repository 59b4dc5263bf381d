-- Every CTA rule evaluated at the evaluated dates for every active account: one row per
-- account, snapshot date and rule that fires. The rule families live in
-- int_cta_signals_<family> (var cta_signal_families); this model unions them and adds the
-- rule's settings from seed cta_rules (a disabled rule's firings are dropped here).
-- Raising (the cooldown against the ledger) happens in int_cta_ledger. Every family gives
-- the same columns in the same order: account_id, snapshot_date, cta_type, metric_value,
-- threshold, reason, source_kind, source_id (the record that raised the firing, or the kind
-- of state for rules no single record raises). is_recheck marks the firings at a recheck
-- date (int_cta_evaluation_dates: the latest evaluated date read again when a build has no
-- new date): they tell which rules still hold there (fct_cta_candidates' resolved status)
-- and never raise a CTA. A build has new dates or a recheck date, never both, so
-- firing_number counts the raisable firings alone.

{%- set families = var('cta_signal_families') %}

with

rules as (
    select * from {{ ref('cta_rules') }}
    where enabled
),

evaluation_dates as (
    select * from {{ ref('int_cta_evaluation_dates') }}
),

signals as (
    {%- for family in families %}
        select * from {{ ref('int_cta_signals_' ~ family) }}
        {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        signals.account_id,
        signals.snapshot_date,
        signals.cta_type,
        rules.direction,
        rules.priority,
        rules.cooldown_days,
        cast(signals.metric_value as double) as metric_value,
        cast(signals.threshold as double) as threshold,
        signals.reason,
        signals.source_kind,
        signals.source_id,
        evaluation_dates.is_recheck,
        row_number() over (
            partition by signals.account_id, signals.cta_type, evaluation_dates.is_recheck
            order by signals.snapshot_date
        ) as firing_number
    from signals
    inner join rules
        on signals.cta_type = rules.cta_type
    inner join evaluation_dates
        on signals.snapshot_date = evaluation_dates.snapshot_date
)

select * from final
