-- CTA rules on the health score (fct_account_health) at the evaluated dates: health_jump,
-- health_drop (reading 13: a drop of the 28-day change, or critical at S with a
-- non-critical row at S's 28-day reference snapshot) and onboarding_90d (customer for
-- day_from..day_to days with an adoption_score below threshold; a null adoption_score does
-- not fire). health_jump and health_drop judge the computed score and do not fire while an
-- override applies to the account (section 11: fct_account_health.override_id set).

with

snapshots as (
    select * from {{ ref('int_cta_evaluation_snapshots') }}
),

health as (
    select account_health.*
    from {{ ref('fct_account_health') }} as account_health
    inner join {{ ref('int_cta_evaluation_dates') }} as evaluation_dates
        on account_health.snapshot_date = evaluation_dates.snapshot_date
),

rules as (
    select * from {{ ref('cta_rules') }}
    where enabled and cta_type in ('health_jump', 'health_drop', 'onboarding_90d')
),

jump_rule as (
    select * from rules
    where cta_type = 'health_jump'
),

drop_rule as (
    select * from rules
    where cta_type = 'health_drop'
),

onboarding_rule as (
    select * from rules
    where cta_type = 'onboarding_90d'
),

health_jump as (
    select
        health.account_id,
        health.snapshot_date,
        jump_rule.cta_type,
        health.health_score_change_28d as metric_value,
        jump_rule.threshold,
        'Health score rose ' || {{ num_text('health.health_score_change_28d') }}
        || ' points in 28 days to ' || {{ num_text('health.health_score') }}
        || ' (' || health.health_tier || ')' as reason,
        'health_state' as source_kind,
        cast(null as string) as source_id
    from health
    cross join jump_rule
    where
        health.health_score_change_28d >= jump_rule.threshold
        and health.override_id is null
),

health_with_before as (
    select
        health.*,
        health.health_tier_28d_ago as health_tier_before,
        drop_rule.cta_type,
        drop_rule.threshold
    from health
    cross join drop_rule
),

health_drop as (
    select
        account_id,
        snapshot_date,
        cta_type,
        health_score_change_28d as metric_value,
        threshold,
        case
            when health_score_change_28d <= threshold
                then 'Health score fell ' || {{ num_text('abs(health_score_change_28d)') }}
                    || ' points in 28 days to ' || {{ num_text('health_score') }} || ' (' || health_tier || ')'
            else 'Health tier became critical (score ' || {{ num_text('health_score') }} || ', was '
                || health_tier_before || ' on ' || cast(reference_snapshot_date as string) || ')'
        end as reason,
        'health_state' as source_kind,
        cast(null as string) as source_id
    from health_with_before
    where
        override_id is null
        and (
            health_score_change_28d <= threshold
            or (health_tier = 'critical' and health_tier_before is not null and health_tier_before <> 'critical')
        )
),

onboarding_90d as (
    select
        health.account_id,
        health.snapshot_date,
        onboarding_rule.cta_type,
        health.adoption_score as metric_value,
        onboarding_rule.threshold,
        'Customer for '
        || cast({{ days_between('snapshots.customer_since', 'health.snapshot_date') }} as string
        )
        || ' days with an adoption score of ' || {{ num_text('health.adoption_score') }}
        || ' (below ' || {{ num_text('onboarding_rule.threshold') }} || ')' as reason,
        'health_state' as source_kind,
        cast(null as string) as source_id
    from health
    cross join onboarding_rule
    inner join snapshots
        on health.account_id = snapshots.account_id
            and health.snapshot_date = snapshots.snapshot_date
    where {{ days_between('snapshots.customer_since', 'health.snapshot_date') }}
        between onboarding_rule.day_from and onboarding_rule.day_to
        and health.adoption_score < onboarding_rule.threshold
)

select * from health_jump
union all
select * from health_drop
union all
select * from onboarding_90d
