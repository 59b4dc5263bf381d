-- The health tiers as published for the dashboard and analysts (the serving copy holds
-- marts, not seeds): code, lower bound, labels, chart colour, order.

with

health_tiers as (
    {{ labelled_seed('health_tiers', 'tier', 'health_tier') }}
),

final as (
    select
        tier,
        min_score,
        label_en,
        label_ja,
        colour,
        sort_order,
        counts_as_at_risk,
        description
    from health_tiers
)

select * from final
