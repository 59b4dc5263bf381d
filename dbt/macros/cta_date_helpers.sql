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

{#- One row per day from `first_day` to `last_day` (date expressions over the relations of
    `from_clause`, which yield one row), as column `day`; no row when either is null. A bounded
    read joins a large day-keyed table to these rows on its day: a hash join whose small side
    DuckDB pushes into the large table's scan as a min/max filter, so a daily build skips the
    history's row groups. (A filter on a value from another relation is not pushed down.) -#}
{% macro date_range_rows(first_day, last_day, from_clause) -%}
    {{ return(adapter.dispatch('date_range_rows', 'cswh')(first_day, last_day, from_clause)) }}
{%- endmacro %}

{% macro default__date_range_rows(first_day, last_day, from_clause) -%}
    select
        cast(unnest(generate_series(
            cast({{ first_day }} as timestamp), cast({{ last_day }} as timestamp), interval 1 day
        )) as date) as day
    from {{ from_clause }}
{%- endmacro %}

{% macro spark__date_range_rows(first_day, last_day, from_clause) -%}
    select explode(sequence(cast({{ first_day }} as date), cast({{ last_day }} as date))) as day
    from {{ from_clause }}
{%- endmacro %}

{#- Percent text for reasons, e.g. 0.834 -> '83%'. -#}
{% macro pct_text(ratio_expr) -%}
    cast(cast(round(100 * ({{ ratio_expr }}), 0) as integer) as string) || '%'
{%- endmacro %}

{#- Number text with up to one decimal, e.g. 8.25 -> '8.3'. -#}
{% macro num_text(expr) -%}
    cast(round(cast({{ expr }} as double), 1) as string)
{%- endmacro %}

{#- A ticket of high or urgent priority: what urgent_tickets_open, ticket_surge and
    fct_tickets.is_high_priority count (one home of the rule). -#}
{% macro is_high_priority(priority_expr) -%}
    {{ priority_expr }} in ('high', 'urgent')
{%- endmacro %}
