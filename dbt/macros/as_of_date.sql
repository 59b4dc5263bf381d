{#-
    The as-of date D as a SQL date expression: the var `as_of_date` (YYYY-MM-DD) when set,
    else the latest activity_date in the usage data. stg_usage__daily is a table (built
    incrementally), so the fallback is a cheap one-column max.

    ref() is called in both branches on purpose: the dependency must be the same whether
    or not the var is set, because Dagster orders dbt's results by the manifest parsed
    without vars, and dbt by the one parsed with them.
-#}
{% macro as_of_date() -%}
    {%- set usage = ref('stg_usage__daily') -%}
    {%- set d = var('as_of_date', none) -%}
    {%- if d -%}
        cast('{{ d }}' as date)
    {%- else -%}
        (select max(activity_date) from {{ usage }})
    {%- endif -%}
{%- endmacro %}
