-- The health override that applies to an active account at a snapshot date S (CONTRACT
-- section 11): of the account's overrides with set_on <= S <= expires_on, the latest by
-- set_at (then the larger override_id; macros override_applies, override_precedence). One
-- row per pair of this build's batch at which one applies, with the override's tier (macro
-- health_tier_select: the same rule as the computed tier). fct_account_health turns it into
-- the effective score and tier.

with

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

overrides as (
    select * from {{ ref('stg_cs_inputs__overrides') }}
),

candidates as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        overrides.override_id,
        overrides.set_at,
        overrides.set_on,
        overrides.set_by,
        cast(overrides.override_score as double) as override_score,
        overrides.reason,
        overrides.expires_on,
        row_number() over (
            partition by account_snapshots.account_id, account_snapshots.snapshot_date
            {{ override_precedence('overrides') }}
        ) as override_rank
    from account_snapshots
    inner join overrides
        on
            account_snapshots.account_id = overrides.account_id
            and {{ override_applies('overrides', 'account_snapshots.snapshot_date') }}
),

applied as (
    select * from candidates
    where override_rank = 1
),

override_tiers as (
    {{ health_tier_select('applied', ['account_id', 'snapshot_date'], 'override_score') }}
),

final as (
    select
        applied.account_id,
        applied.snapshot_date,
        applied.override_id,
        applied.set_at as override_set_at,
        applied.set_on as override_set_on,
        applied.set_by as override_set_by,
        applied.override_score,
        applied.reason as override_reason,
        applied.expires_on as override_expires_on,
        override_tiers.tier as override_tier
    from applied
    inner join override_tiers
        on
            applied.account_id = override_tiers.account_id
            and applied.snapshot_date = override_tiers.snapshot_date
)

select * from final
