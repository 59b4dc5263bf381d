{#- The fiscal calendar, one home (CONTRACT section 7: the fiscal year starts in April, var
    fiscal_year_start_month). A fiscal year is named by the calendar year it starts in
    (FY2026 = April 2026 .. March 2027, as Japanese companies say 2026年度). -#}

{% macro fiscal_year_start(date_expr) -%}
    {{ add_months(
        month_start(date_expr),
        '0 - ((cast(extract(month from ' ~ date_expr ~ ') as integer) + 12 - '
        ~ var('fiscal_year_start_month', 4) ~ ') % 12)'
    ) }}
{%- endmacro %}

{% macro fiscal_year(date_expr) -%}
    cast(extract(year from {{ fiscal_year_start(date_expr) }}) as integer)
{%- endmacro %}

{#- 1..4: the quarter of the fiscal year holding the date. -#}
{% macro fiscal_quarter(date_expr) -%}
    cast(floor(((cast(extract(month from {{ date_expr }}) as integer) + 12 - {{ var('fiscal_year_start_month', 4) }}) % 12) / 3) + 1 as integer)
{%- endmacro %}

{% macro fiscal_quarter_start(date_expr) -%}
    {{ add_months(fiscal_year_start(date_expr), '3 * (' ~ fiscal_quarter(date_expr) ~ ' - 1)') }}
{%- endmacro %}
