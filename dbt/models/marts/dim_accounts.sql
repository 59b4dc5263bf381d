-- One row per account, prospects included (CONTRACT sections 3 and 5), as of D:
-- firmographics, segment (seed segments), the contract active at D (null if none),
-- lifecycle_stage (the first that applies of prospect, churned, renewal_window,
-- onboarding, active; day counts from seed lifecycle_stages), adoption_stage (0..5,
-- int_adoption_stages at D) and the health score, tier and quota consumption of the
-- current snapshot D (fct_account_health: the value quota_pace and the quota CTA rules
-- read; null without an active contract at D), with the override applying at D and the
-- effective score and tier beside the computed ones.

with

accounts as (
    select * from {{ ref('int_accounts') }}
),

contracts as (
    select * from {{ ref('int_contracts') }}
),

account_snapshots as (
    select * from {{ ref('int_account_snapshots') }}
),

adoption as (
    select * from {{ ref('int_adoption_stages') }}
),

account_health as (
    select * from {{ ref('fct_account_health') }}
),


lifecycle_stages as (
    {{ labelled_seed('lifecycle_stages', 'lifecycle_stage', 'lifecycle_stage') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

lifecycle_rules as (
    select
        max(case when lifecycle_stage = 'renewal_window' then within_days end)
            as renewal_window_days,
        max(case when lifecycle_stage = 'onboarding' then within_days end) as onboarding_days
    from lifecycle_stages
),

-- reading 1: customer_since = the earliest contract start on or before D
first_contracts as (
    select
        contracts.account_id,
        min(contracts.start_date) as customer_since,
        count(*) as contracts_started
    from contracts
    cross join as_of
    where contracts.start_date <= as_of.as_of_date
    group by contracts.account_id
),

-- the contract active at D: the account's snapshot at D (seats and arr with amendments)
current_contracts as (
    select account_snapshots.*
    from account_snapshots
    inner join as_of
        on account_snapshots.snapshot_date = as_of.as_of_date
),

staged as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.industry,
        accounts.region,
        accounts.employee_count,
        accounts.segment,
        accounts.segment_label_ja,
        accounts.csm_owner,
        first_contracts.customer_since,
        coalesce(first_contracts.contracts_started, 0) as contracts_started,
        current_contracts.contract_id,
        current_contracts.contract_start,
        current_contracts.contract_end,
        current_contracts.days_to_renewal,
        cast(current_contracts.seats as bigint) as seats,
        current_contracts.annual_quota,
        cast(current_contracts.arr_jpy as bigint) as arr_jpy,
        cast(current_contracts.active_ids as bigint) as active_ids,
        current_contracts.contract_id is not null as is_active_customer,
        case
            when first_contracts.customer_since is null then 'prospect'
            when current_contracts.contract_id is null then 'churned'
            when current_contracts.days_to_renewal <= lifecycle_rules.renewal_window_days
                then 'renewal_window'
            when
                {{ days_between('first_contracts.customer_since', 'as_of.as_of_date') }}
                < lifecycle_rules.onboarding_days
                then 'onboarding'
            else 'active'
        end as lifecycle_stage,
        coalesce(adoption.adoption_stage, 0) as adoption_stage,
        account_health.health_score,
        account_health.health_tier,
        account_health.health_tier_ja,
        account_health.health_score_change_28d,
        account_health.override_score,
        account_health.override_reason,
        account_health.override_expires_on,
        account_health.effective_health_score,
        account_health.effective_health_tier,
        account_health.effective_health_tier_ja,
        account_health.effective_at_risk,
        as_of.as_of_date,
        account_health.quota_consumption
    from accounts
    cross join as_of
    cross join lifecycle_rules
    left join first_contracts
        on accounts.account_id = first_contracts.account_id
    left join current_contracts
        on accounts.account_id = current_contracts.account_id
    left join adoption
        on
            accounts.account_id = adoption.account_id
            and as_of.as_of_date = adoption.snapshot_date
    left join account_health
        on
            accounts.account_id = account_health.account_id
            and as_of.as_of_date = account_health.snapshot_date
),

final as (
    select
        staged.*,
        lifecycle_stages.label_ja as lifecycle_stage_ja,
        lifecycle_stages.sort_order as lifecycle_sort_order
    from staged
    left join lifecycle_stages
        on staged.lifecycle_stage = lifecycle_stages.lifecycle_stage
)

select * from final
