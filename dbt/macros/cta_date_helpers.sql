{#- Date helpers for the CTA / KPI models: dbt's cross-database macros, cast back to DATE
    (on DuckDB a date plus an interval is a timestamp). -#}

{% macro add_days(date_expr, days_expr) -%}
    cast({{ dbt.dateadd('day', days_expr, date_expr) }} as date)
{%- endmacro %}

{% macro add_months(date_expr, months_expr) -%}
    cast({{ dbt.dateadd('month', months_expr, date_expr) }} as date)
{%- endmacro %}

{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{% macro days_between(from_date, to_date) -%}
    {{ dbt.datediff(from_date, to_date, 'day') }}
{%- endmacro %}

{#- Percent text for reasons, e.g. 0.834 -> '83%'. -#}
{% macro pct_text(ratio_expr) -%}
    cast(cast(round(100 * ({{ ratio_expr }}), 0) as integer) as varchar) || '%'
{%- endmacro %}

{#- Number text with up to one decimal, e.g. 8.25 -> '8.3'. -#}
{% macro num_text(expr) -%}
    cast(round(cast({{ expr }} as double), 1) as varchar)
{%- endmacro %}
