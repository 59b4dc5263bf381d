{#-
    The health tier of each row of `scores` (a CTE or relation), the one home of the tier
    rule: the tier of seed health_tiers with the highest min_score <= the score (on the
    unrounded score, reading 9), or the tier without a min_score (unknown) when the score is
    null. Returns `select <key_columns>, tier` with one row per row of `scores`. Used for the
    computed health_tier (int_health_scores) and for an override's tier (int_health_overrides).
-#}
{% macro health_tier_select(scores, key_columns, score_column) -%}
    select
        {% for k in key_columns %}tier_input.{{ k }},
        {% endfor -%}
        coalesce(tier_scored.tier, tier_unknown.tier) as tier
    from {{ scores }} as tier_input
    left join (
        select
            {% for k in key_columns %}tier_floor_input.{{ k }},
            {% endfor -%}
            max(floor_tiers.min_score) as tier_min_score
        from {{ scores }} as tier_floor_input
        inner join {{ ref('health_tiers') }} as floor_tiers
            on tier_floor_input.{{ score_column }} >= floor_tiers.min_score
        group by {% for k in key_columns %}tier_floor_input.{{ k }}{{ ", " if not loop.last }}{% endfor %}
    ) as tier_floor
        on {% for k in key_columns %}tier_input.{{ k }} = tier_floor.{{ k }}{{ " and " if not loop.last }}{% endfor %}
    left join (
        select
            tier,
            min_score
        from {{ ref('health_tiers') }}
        where min_score is not null
    ) as tier_scored
        on tier_floor.tier_min_score = tier_scored.min_score
    left join (
        select tier
        from {{ ref('health_tiers') }}
        where min_score is null
    ) as tier_unknown
        on tier_input.{{ score_column }} is null
{%- endmacro %}
