-- Every health override set on or before D, one row each, expired and superseded ones kept
-- as history (CONTRACT section 11), with its status as of D (value list and order: seed
-- override_statuses): active = the override that applies to its account at D (the
-- account's latest by set_at with set_on <= D <= expires_on; macros override_applies,
-- override_precedence), expired = expires_on before D, superseded = not expired but a later
-- override of the account applies at D. Days to expiry count from D; an active override
-- expiring within the next override_expiring_soon_days days (var, 14: D .. D + 13) is
-- expiring soon, listed for the account's CSM. Beside it the account's computed and
-- effective health at D.
with

overrides as (
    select * from {{ ref('stg_cs_inputs__overrides') }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
),

account_health as (
    select * from {{ ref('fct_account_health') }}
),

health_tiers as (
    select * from {{ ref('health_tiers') }}
),

override_statuses as (
    select * from {{ ref('override_statuses') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

set_by_d as (
    select overrides.*
    from overrides
    cross join as_of
    where overrides.set_on <= as_of.as_of_date
),

covering_d as (
    select
        set_by_d.override_id,
        row_number() over (
            partition by set_by_d.account_id
            {{ override_precedence('set_by_d') }}
        ) as precedence
    from set_by_d
    cross join as_of
    where {{ override_applies('set_by_d', 'as_of.as_of_date') }}
),

override_tiers as (
    {{ health_tier_select('set_by_d', ['override_id'], 'override_score') }}
),

statused as (
    select
        set_by_d.*,
        override_tiers.tier as override_tier,
        as_of.as_of_date,
        {{ days_between('as_of.as_of_date', 'set_by_d.expires_on') }} as days_to_expiry,
        case
            when covering_d.precedence = 1 then 'active'
            when set_by_d.expires_on < as_of.as_of_date then 'expired'
            else 'superseded'
        end as status
    from set_by_d
    cross join as_of
    inner join override_tiers
        on set_by_d.override_id = override_tiers.override_id
    left join covering_d
        on set_by_d.override_id = covering_d.override_id
),

final as (
    select
        statused.override_id,
        statused.account_id,
        accounts.account_name,
        accounts.segment,
        accounts.csm_owner,
        statused.set_by,
        statused.set_at,
        statused.set_on,
        cast(statused.override_score as double) as override_score,
        statused.override_tier,
        health_tiers.sort_order as override_tier_sort_order,
        statused.reason,
        statused.expires_on,
        statused.is_default_expiry,
        statused.status,
        override_statuses.sort_order as status_sort_order,
        cast(statused.days_to_expiry as bigint) as days_to_expiry,
        statused.status = 'active'
        and statused.days_to_expiry < {{ var('override_expiring_soon_days') }} as is_expiring_soon,
        account_health.health_score as health_score_at_d,
        account_health.health_tier as health_tier_at_d,
        account_health.effective_health_tier as effective_health_tier_at_d,
        statused.as_of_date
    from statused
    left join health_tiers
        on statused.override_tier = health_tiers.tier
    left join override_statuses
        on statused.status = override_statuses.status
    left join accounts
        on statused.account_id = accounts.account_id
    left join account_health
        on
            statused.account_id = account_health.account_id
            and statused.as_of_date = account_health.snapshot_date
)

select * from final
