{#- Look-back of the health change columns (health_score_change_28d, score_change_28d):
    the contract names the columns after 28 days, so this is fixed, not a tuning knob. -#}
{% macro health_change_days() -%}
    28
{%- endmacro %}
