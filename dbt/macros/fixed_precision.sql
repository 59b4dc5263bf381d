{#- Scores and the weights they are summed with are kept at a fixed precision (9 decimals)
    before any sum, mean or tier: decimal sums are exact, so a score does not depend on the order in which
    parallel threads added its parts, and the same inputs give the same bits run after run
    (a last-bit difference could flip a tier at an exact boundary, reading 9). -#}
{% macro fixed_precision(expr) -%}
    cast({{ expr }} as decimal(18, 9))
{%- endmacro %}

{#- A ratio at that precision. DuckDB divides decimals as doubles (the quotient is a DOUBLE)
    and rounds that to 9 decimals; Spark would divide them exactly as decimals, which rounds
    the 9th decimal differently now and then, so its twin divides doubles as DuckDB does. -#}
{% macro fixed_precision_ratio(numerator, denominator) -%}
    {{ return(adapter.dispatch('fixed_precision_ratio', 'cswh')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__fixed_precision_ratio(numerator, denominator) -%}
    {{ fixed_precision(numerator ~ ' / ' ~ denominator) }}
{%- endmacro %}

{% macro spark__fixed_precision_ratio(numerator, denominator) -%}
    {{ fixed_precision('cast(' ~ numerator ~ ' as double) / cast(' ~ denominator ~ ' as double)') }}
{%- endmacro %}
