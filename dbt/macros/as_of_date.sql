{#-
    The as-of date D as a SQL date expression: the var `as_of_date` (YYYY-MM-DD) when set,
    else the latest activity_date in the usage data. stg_usage__daily is a table (built
    incrementally), so the fallback is a cheap one-column max.
-#}
{% macro as_of_date() -%}
    {%- set d = var('as_of_date', none) -%}
    {%- if d -%}
        cast('{{ d }}' as date)
    {%- else -%}
        (select max(activity_date) from {{ ref('stg_usage__daily') }})
    {%- endif -%}
{%- endmacro %}
