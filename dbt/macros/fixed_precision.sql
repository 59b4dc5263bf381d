{#- Scores and the weights they are summed with are kept at a fixed precision (9 decimals)
    before any sum, mean or tier: decimal sums are exact, so a score does not depend on the order in which
    parallel threads added its parts, and the same inputs give the same bits run after run
    (a last-bit difference could flip a tier at an exact boundary, reading 9). -#}
{% macro fixed_precision(expr) -%}
    cast({{ expr }} as decimal(18, 9))
{%- endmacro %}
