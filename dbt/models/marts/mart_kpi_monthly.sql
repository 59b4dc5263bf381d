-- Monthly customer-success KPIs per segment plus segment `all` (CONTRACT section 7,
-- readings 16, 17, 26, 27). One row for every month of int_kpi_months and every segment;
-- counts are 0 and rates null where nothing happened or a denominator is 0. Stocks are
-- taken at the month's stock date (its last snapshot date; D in D's month). Where the data
-- cannot tell, the figure is null, not 0 (reading 27): health stocks in months without a
-- snapshot date, and reaction_rate before the first month with any reaction.

with

months as (
    select * from {{ ref('int_kpi_months') }}
),

segments as (
    select * from {{ ref('segments') }}
),

accounts as (
    select * from {{ ref('dim_accounts') }}
),

contracts as (
    select * from {{ ref('int_contracts') }}
),

health as (
    select * from {{ ref('fct_account_health') }}
),

engagements as (
    select * from {{ ref('stg_marketing__engagements') }}
),

registrations as (
    select * from {{ ref('stg_seminars__registrations') }}
),

nps_responses as (
    select * from {{ ref('stg_nps__responses') }}
),

ctas as (
    select * from {{ ref('fct_cta_candidates') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

segment_list as (
    select segment from segments
    union all
    select 'all' as segment
),

spine as (
    select
        months.month,
        months.month_end,
        months.stock_date,
        months.health_snapshot_date,
        months.period_start_snapshot_date,
        months.fiscal_year_start,
        segment_list.segment
    from months
    cross join segment_list
),

-- every account-level fact counts for its segment and for `all`
account_segments as (
    select
        account_id,
        segment
    from accounts
    union all
    select
        account_id,
        'all' as segment
    from accounts
),

active_customers as (
    select distinct
        months.month,
        contracts.account_id
    from months
    inner join contracts
        on months.stock_date between contracts.start_date and contracts.end_date
),

active_counts as (
    select
        active_customers.month,
        account_segments.segment,
        count(distinct active_customers.account_id) as active_customers
    from active_customers
    inner join account_segments
        on active_customers.account_id = account_segments.account_id
    group by active_customers.month, account_segments.segment
),

renewals as (
    select
        months.month,
        account_segments.segment,
        count(*) as renewals_due,
        sum(case when contracts.is_renewed then 1 else 0 end) as renewed
    from contracts
    cross join as_of
    inner join months
        on contracts.end_date between months.month and months.month_end
    inner join account_segments
        on contracts.account_id = account_segments.account_id
    where contracts.end_date <= as_of.as_of_date
    group by months.month, account_segments.segment
),

churned_contracts as (
    -- churned (reading 26) and no other contract active on the day after its end_date
    select
        months.month,
        ended.account_id
    from contracts as ended
    cross join as_of
    inner join months
        on ended.end_date between months.month and months.month_end
    left join contracts as other
        on
            ended.account_id = other.account_id
            and ended.contract_id <> other.contract_id
            and {{ add_days('ended.end_date', 1) }} between other.start_date and other.end_date
    where
        ended.end_date <= as_of.as_of_date
        and not ended.is_renewed
        and other.contract_id is null
),

churn_counts as (
    select
        churned_contracts.month,
        account_segments.segment,
        count(distinct churned_contracts.account_id) as churned_customers
    from churned_contracts
    inner join account_segments
        on churned_contracts.account_id = account_segments.account_id
    group by churned_contracts.month, account_segments.segment
),

health_segments as (
    select
        account_id,
        snapshot_date,
        health_score,
        effective_at_risk,
        segment
    from health
    union all
    select
        account_id,
        snapshot_date,
        health_score,
        effective_at_risk,
        'all' as segment
    from health
),

health_at_stock as (
    select
        months.month,
        health_segments.segment,
        cast(avg({{ fixed_precision('health_segments.health_score') }}) as double) as avg_health_score,
        -- effective tiers (an override's tier while it applies; section 11)
        sum(health_segments.effective_at_risk) as at_risk_accounts
    from months
    inner join health_segments
        on months.health_snapshot_date = health_segments.snapshot_date
    group by months.month, health_segments.segment
),

health_at_period_start as (
    select
        months.month,
        health_segments.segment,
        cast(avg({{ fixed_precision('health_segments.health_score') }}) as double) as avg_health_score_period_start
    from months
    inner join health_segments
        on months.period_start_snapshot_date = health_segments.snapshot_date
    group by months.month, health_segments.segment
),

reactions as (
    select
        account_id,
        occurred_on as reacted_on
    from engagements
    where event_type in ('email_click', 'community_post') and account_id is not null

    union all

    select
        account_id,
        held_on as reacted_on
    from registrations
    where attended and account_id is not null
),

-- The first month with any reaction in the sources (whoever reacted, matched to an account
-- or not): before it the marketing and seminar data say nothing, so the rate is unknown.
first_reaction as (
    select min({{ month_start('all_reactions.reacted_on') }}) as first_reaction_month
    from (
        select occurred_on as reacted_on
        from engagements
        where event_type in ('email_click', 'community_post')

        union all

        select held_on as reacted_on
        from registrations
        where attended
    ) as all_reactions
    cross join as_of
    where all_reactions.reacted_on <= as_of.as_of_date
),

reacting_customers as (
    select distinct
        active_customers.month,
        active_customers.account_id
    from active_customers
    inner join months
        on active_customers.month = months.month
    inner join reactions
        on
            active_customers.account_id = reactions.account_id
            and reactions.reacted_on between months.month and months.month_end
),

reaction_counts as (
    select
        reacting_customers.month,
        account_segments.segment,
        count(distinct reacting_customers.account_id) as reacting_customers
    from reacting_customers
    inner join account_segments
        on reacting_customers.account_id = account_segments.account_id
    group by reacting_customers.month, account_segments.segment
),

nps_segments as (
    -- segment rows: matched responses only; `all`: every response (reading 17)
    select
        nps_responses.responded_on,
        nps_responses.score,
        accounts.segment
    from nps_responses
    inner join accounts
        on nps_responses.account_id = accounts.account_id

    union all

    select
        responded_on,
        score,
        'all' as segment
    from nps_responses
),

nps_counts as (
    select
        months.month,
        nps_segments.segment,
        count(*) as nps_responses,
        sum(case when nps_segments.score >= {{ var('nps_promoter_min_score', 9) }} then 1 else 0 end) as promoters,
        sum(case when nps_segments.score <= {{ var('nps_detractor_max_score', 6) }} then 1 else 0 end) as detractors
    from nps_segments
    inner join months
        on nps_segments.responded_on between months.month and months.month_end
    group by months.month, nps_segments.segment
),

cta_segments as (
    select
        triggered_on,
        is_won,
        segment
    from ctas
    union all
    select
        triggered_on,
        is_won,
        'all' as segment
    from ctas
),

cta_counts as (
    select
        months.month,
        cta_segments.segment,
        count(*) as ctas_raised,
        sum(case when cta_segments.is_won then 1 else 0 end) as ctas_won
    from cta_segments
    inner join months
        on cta_segments.triggered_on between months.month and months.month_end
    group by months.month, cta_segments.segment
),

final as (
    select
        spine.month,
        spine.segment,
        spine.stock_date,
        coalesce(active_counts.active_customers, 0) as active_customers,
        coalesce(renewals.renewals_due, 0) as renewals_due,
        cast(coalesce(renewals.renewed, 0) as bigint) as renewed,
        renewals.renewed / cast(nullif(renewals.renewals_due, 0) as double) as renewal_rate,
        coalesce(churn_counts.churned_customers, 0) as churned_customers,
        health_at_stock.avg_health_score,
        (health_at_stock.avg_health_score - health_at_period_start.avg_health_score_period_start)
        / nullif(health_at_period_start.avg_health_score_period_start, 0) as health_change_since_period_start,
        -- a month without a snapshot date has no health to count: unknown, not 0
        case
            when spine.health_snapshot_date is not null
                then cast(coalesce(health_at_stock.at_risk_accounts, 0) as bigint)
        end as at_risk_accounts,
        case
            when spine.month >= first_reaction.first_reaction_month
                then
                    coalesce(reaction_counts.reacting_customers, 0)
                    / cast(nullif(active_counts.active_customers, 0) as double)
        end as reaction_rate,
        100.0 * (nps_counts.promoters - nps_counts.detractors) / nullif(nps_counts.nps_responses, 0) as nps,
        coalesce(nps_counts.nps_responses, 0) as nps_responses,
        coalesce(cta_counts.ctas_raised, 0) as ctas_raised,
        cast(coalesce(cta_counts.ctas_won, 0) as bigint) as ctas_won,
        spine.health_snapshot_date,
        spine.period_start_snapshot_date,
        spine.fiscal_year_start,
        {{ fiscal_year('spine.month') }} as fiscal_year,
        {{ fiscal_quarter('spine.month') }} as fiscal_quarter,
        as_of.as_of_date
    from spine
    cross join as_of
    cross join first_reaction
    left join active_counts
        on spine.month = active_counts.month and spine.segment = active_counts.segment
    left join renewals
        on spine.month = renewals.month and spine.segment = renewals.segment
    left join churn_counts
        on spine.month = churn_counts.month and spine.segment = churn_counts.segment
    left join health_at_stock
        on spine.month = health_at_stock.month and spine.segment = health_at_stock.segment
    left join health_at_period_start
        on spine.month = health_at_period_start.month and spine.segment = health_at_period_start.segment
    left join reaction_counts
        on spine.month = reaction_counts.month and spine.segment = reaction_counts.segment
    left join nps_counts
        on spine.month = nps_counts.month and spine.segment = nps_counts.segment
    left join cta_counts
        on spine.month = cta_counts.month and spine.segment = cta_counts.segment
)

select * from final
