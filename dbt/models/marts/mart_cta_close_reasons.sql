-- Why CTAs were lost or dismissed (CONTRACT section 11: mart_cta_effectiveness splits lost
-- and dismissed by reason): one row per rule (seed cta_rules) and close reason (seed
-- close_reasons, with the outcome it closes), zero where none, counting the CTAs whose
-- latest outcome is that outcome with that reason_code, and its share of the rule's CTAs
-- closed with that outcome. The long form keeps mart_cta_effectiveness one row per rule
-- with fixed columns while CS Ops add reasons to the seed. CTAs whose latest lost or
-- dismissed outcome carries no reason (recorded before reasons were required) get a row
-- with reason_code null, so the shares of an outcome sum to 1.

with

rules as (
    select * from {{ ref('cta_rules') }}
),

close_reasons as (
    select * from {{ ref('close_reasons') }}
),

-- the CTAs whose latest outcome closes them for a reason (lost, dismissed)
ctas as (
    select candidates.*
    from {{ ref('fct_cta_candidates') }} as candidates
    where candidates.latest_outcome in (select closing.outcome from close_reasons as closing)
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

by_reason as (
    select
        cta_type,
        latest_outcome as outcome,
        close_reason_code as reason_code,
        count(*) as ctas
    from ctas
    group by cta_type, latest_outcome, close_reason_code
),

by_outcome as (
    select
        cta_type,
        latest_outcome as outcome,
        count(*) as outcome_ctas
    from ctas
    group by cta_type, latest_outcome
),

grid as (
    select
        rules.cta_type,
        close_reasons.outcome,
        close_reasons.reason_code
    from rules
    cross join close_reasons

    union

    select
        cta_type,
        outcome,
        reason_code
    from by_reason
),

final as (
    select
        grid.cta_type,
        rules.direction,
        grid.outcome,
        grid.reason_code,
        close_reasons.sort_order,
        cast(coalesce(by_reason.ctas, 0) as bigint) as ctas,
        cast(coalesce(by_outcome.outcome_ctas, 0) as bigint) as outcome_ctas,
        coalesce(by_reason.ctas, 0) / cast(nullif(by_outcome.outcome_ctas, 0) as double) as share_of_outcome,
        as_of.as_of_date
    from grid
    cross join as_of
    left join rules
        on grid.cta_type = rules.cta_type
    left join close_reasons
        on grid.reason_code = close_reasons.reason_code
    left join by_reason
        on
            grid.cta_type = by_reason.cta_type
            and grid.outcome = by_reason.outcome
            and grid.reason_code is not distinct from by_reason.reason_code
    left join by_outcome
        on
            grid.cta_type = by_outcome.cta_type
            and grid.outcome = by_outcome.outcome
)

select * from final
