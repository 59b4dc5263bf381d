-- Every CTA rule evaluated at every snapshot date for every active account: one row per
-- account, snapshot date and rule that fires. The rule families live in
-- int_cta_signals_<family>; this model unions them and adds the rule's settings.
-- Raising (cooldown) happens in fct_cta_candidates.

with

quota as (
    select * from {{ ref('int_cta_signals_quota') }}
),

ids as (
    select * from {{ ref('int_cta_signals_ids') }}
),

feature as (
    select * from {{ ref('int_cta_signals_feature') }}
),

marketing as (
    select * from {{ ref('int_cta_signals_marketing') }}
),

touch as (
    select * from {{ ref('int_cta_signals_touch') }}
),

health as (
    select * from {{ ref('int_cta_signals_health') }}
),

rules as (
    select * from {{ ref('cta_rules') }}
    where enabled
),

signals as (
    select * from quota
    union all
    select * from ids
    union all
    select * from feature
    union all
    select * from marketing
    union all
    select * from touch
    union all
    select * from health
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
        row_number() over (
            partition by signals.account_id, signals.cta_type order by signals.snapshot_date
        ) as firing_number,
    from signals
    inner join rules
        on signals.cta_type = rules.cta_type
)

select * from final
