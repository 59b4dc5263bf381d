-- The health score (CONTRACT sections 3-4): one row per active account per snapshot date
-- (D, D-7, ... back health_history_weeks), with the four DEAR dimension scores, the
-- health score, its tier (Japanese label and chart colour from seed health_tiers) and
-- its change over 28 days; plus the contract and usage facts at the snapshot that the
-- CTA rules and the dashboard use.

with

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

health_scores as (
    select * from {{ ref('int_health_scores') }}
),

quota as (
    select * from {{ ref('int_health_quota_metrics') }}
),

adoption as (
    select * from {{ ref('int_adoption_stages') }}
),

health_tiers as (
    select * from {{ ref('health_tiers') }}
),

latest_snapshot as (
    select {{ as_of_date() }} as snapshot_date
),

final as (
    select
        account_snapshots.account_id,
        account_snapshots.snapshot_date,
        account_snapshots.segment,
        health_scores.deployment_score,
        health_scores.engagement_score,
        health_scores.adoption_score,
        health_scores.roi_score,
        health_scores.health_score,
        health_scores.health_tier,
        health_tiers.label_ja as health_tier_ja,
        health_scores.health_score - earlier_scores.health_score as health_score_change_28d,
        health_tiers.label_en as health_tier_en,
        health_tiers.colour as tier_colour,
        health_tiers.sort_order as tier_sort_order,
        earlier_scores.health_score as health_score_28d_ago,
        earlier_scores.health_tier as health_tier_28d_ago,
        health_scores.dimensions_scored,
        health_scores.metrics_scored,
        account_snapshots.snapshot_date = latest_snapshot.snapshot_date as is_latest_snapshot,
        account_snapshots.employee_count,
        account_snapshots.csm_owner,
        account_snapshots.customer_since,
        account_snapshots.contract_id,
        account_snapshots.contract_start,
        account_snapshots.contract_end,
        account_snapshots.contract_year_start,
        account_snapshots.days_to_renewal,
        account_snapshots.seats,
        account_snapshots.arr_jpy,
        account_snapshots.annual_quota,
        account_snapshots.active_ids,
        account_snapshots.active_admin_ids,
        account_snapshots.ids_issued_30d,
        quota.contract_year_core_events,
        quota.quota_consumption,
        adoption.adoption_stage
    from account_snapshots
    cross join latest_snapshot
    left join health_scores
        on
            account_snapshots.account_id = health_scores.account_id
            and account_snapshots.snapshot_date = health_scores.snapshot_date
    left join health_scores as earlier_scores
        on
            account_snapshots.account_id = earlier_scores.account_id
            and earlier_scores.snapshot_date = cast(
                {{ dbt.dateadd('day', '-' ~ health_change_days(), 'account_snapshots.snapshot_date') }}
                as date
            )
    left join health_tiers
        on health_scores.health_tier = health_tiers.tier
    left join quota
        on
            account_snapshots.account_id = quota.account_id
            and account_snapshots.snapshot_date = quota.snapshot_date
    left join adoption
        on
            account_snapshots.account_id = adoption.account_id
            and account_snapshots.snapshot_date = adoption.snapshot_date
)

select * from final
