-- The health score (CONTRACT sections 3-4, 10): one row per active account per history
-- snapshot date (the grid days on or before D and D itself; int_snapshot_dates), with the
-- four DEAR dimension scores, the health score, its tier (Japanese label and chart colour
-- from seed health_tiers) and its change since the 28-day reference snapshot (the latest
-- snapshot dated on or before S - 28, reading 13); plus the contract and usage facts at the
-- snapshot that the CTA rules, adoption stages and the dashboard use. An override set by
-- CS Ops or the CSM (int_health_overrides: the account's latest with set_on <= S <=
-- expires_on) gives the effective score and tier beside the computed ones, which stay as
-- the model computes them (section 11); effective_at_risk counts the effective tier.
--
-- Incremental (macro health_history_config): a build writes only its batch (int_snapshot_batch:
-- the current snapshot, new grid days, accounts whose inputs changed; on Spark whole dates)
-- and leaves every other grid day's rows as they are. A reference score outside the batch is
-- read from the rows already stored. _built_at, _inputs_loaded_at and _seeds_hash are the
-- history's state (macro health_history_state).
{{
    config(
        on_schema_change='sync_all_columns',
        **health_history_config()
    )
}}
-- depends_on: {{ ref('int_snapshot_dates') }}

with

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

health_scores as (
    select * from {{ ref('int_health_scores') }}
),

usage as (
    select * from {{ ref('int_health_usage_metrics') }}
),

quota as (
    select * from {{ ref('int_health_quota_metrics') }}
),

overrides as (
    select * from {{ ref('int_health_overrides') }}
),

health_tiers as (
    {{ labelled_seed('health_tiers', 'tier', 'health_tier') }}
),

-- read on daily builds only
batch as (  -- noqa: ST03
    select * from {{ ref('int_snapshot_batch') }}
),

-- the scores a 28-day change can refer to: this batch's, then the stored ones it leaves
reference_scores as (
    select
        account_id,
        snapshot_date,
        health_score,
        health_tier
    from health_scores
    {% if is_incremental() %}
        union all
        -- stored as double; back to the fixed precision it was computed at, exactly
        select
            stored.account_id,
            stored.snapshot_date,
            {{ fixed_precision('stored.health_score') }} as health_score,
            stored.health_tier
        from {{ stored_outside_batch() }}
    {% endif %}
),

build as (
    select * from {{ ref('int_health_build') }}
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        account_snapshots.segment,
        cast(health_scores.deployment_score as double) as deployment_score,
        cast(health_scores.engagement_score as double) as engagement_score,
        cast(health_scores.adoption_score as double) as adoption_score,
        cast(health_scores.roi_score as double) as roi_score,
        cast(health_scores.health_score as double) as health_score,
        health_scores.health_tier,
        health_tiers.label_ja as health_tier_ja,
        cast(health_scores.health_score - reference_scores.health_score as double)
            as health_score_change_28d,
        overrides.override_score,
        overrides.override_reason,
        overrides.override_expires_on,
        cast(coalesce(overrides.override_score, health_scores.health_score) as double)
            as effective_health_score,
        coalesce(overrides.override_tier, health_scores.health_tier) as effective_health_tier,
        effective_tiers.label_ja as effective_health_tier_ja,
        overrides.override_id,
        overrides.override_set_by,
        overrides.override_set_on,
        effective_tiers.label_en as effective_health_tier_en,
        effective_tiers.colour as effective_tier_colour,
        case when effective_tiers.counts_as_at_risk then 1 else 0 end as effective_at_risk,
        health_tiers.label_en as health_tier_en,
        health_tiers.colour as tier_colour,
        health_tiers.sort_order as tier_sort_order,
        account_snapshots.reference_snapshot_date,
        cast(reference_scores.health_score as double) as health_score_28d_ago,
        reference_scores.health_tier as health_tier_28d_ago,
        not account_snapshots.is_grid_day as is_provisional,
        health_scores.dimensions_scored,
        health_scores.metrics_scored,
        account_snapshots.employee_count,
        account_snapshots.csm_owner,
        account_snapshots.customer_since,
        account_snapshots.contract_id,
        account_snapshots.contract_start,
        account_snapshots.contract_end,
        account_snapshots.contract_year_start,
        account_snapshots.days_to_renewal,
        cast(account_snapshots.seats as bigint) as seats,
        cast(account_snapshots.arr_jpy as bigint) as arr_jpy,
        account_snapshots.annual_quota,
        cast(account_snapshots.active_ids as bigint) as active_ids,
        cast(account_snapshots.active_admin_ids as bigint) as active_admin_ids,
        account_snapshots.ids_issued_30d,
        usage.wau_rate,
        usage.mobile_wau_rate,
        cast(quota.contract_year_core_events as bigint) as contract_year_core_events,
        quota.quota_consumption,
        build.built_at as _built_at,
        build.inputs_loaded_at as _inputs_loaded_at,
        build.seeds_hash as _seeds_hash
    from account_snapshots
    cross join build
    left join health_scores
        on
            account_snapshots.account_id = health_scores.account_id
            and account_snapshots.snapshot_date = health_scores.snapshot_date
    left join reference_scores
        on
            account_snapshots.account_id = reference_scores.account_id
            and account_snapshots.reference_snapshot_date = reference_scores.snapshot_date
    left join health_tiers
        on health_scores.health_tier = health_tiers.tier
    left join overrides
        on
            account_snapshots.account_id = overrides.account_id
            and account_snapshots.snapshot_date = overrides.snapshot_date
    left join health_tiers as effective_tiers
        on coalesce(overrides.override_tier, health_scores.health_tier) = effective_tiers.tier
    left join usage
        on
            account_snapshots.account_id = usage.account_id
            and account_snapshots.snapshot_date = usage.snapshot_date
    left join quota
        on
            account_snapshots.account_id = quota.account_id
            and account_snapshots.snapshot_date = quota.snapshot_date
    where account_snapshots.is_history
)

select * from final
