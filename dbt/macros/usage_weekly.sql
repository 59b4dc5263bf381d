{#- fct_usage_weekly's columns that depend on D or on the account, and the stored weeks in
    which they went stale. -#}

{#- Days of the Monday-to-Sunday week starting `week_start` that are on or before D: 7 for a
    week ended by D, fewer for the week holding D (a partial week), 0 for a week after D. -#}
{% macro usage_week_days_in_week(week_start, as_of) -%}
    greatest(0, least(7, {{ days_between(week_start, as_of) }} + 1))
{%- endmacro %}

{#- A predicate over `period_expr` (the week of a usage day) for an incremental build of
    fct_usage_weekly: the stored weeks whose days_in_week differs from its value at this D, or
    with a row whose segment is no longer the account's (int_accounts). Read once, as literals
    (like changed_periods_filter). `1 = 0` on a full build or when nothing is stale;
    `1 = 1` for a table written before these columns existed. -#}
{% macro usage_weekly_stale_weeks(period_expr) -%}
    {%- if is_incremental() and execute -%}
        {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {%- if 'days_in_week' not in stored_columns or 'segment' not in stored_columns -%}
            {#- a table built before these columns: every week is rewritten once -#}
            {{ return('1 = 1') }}
        {%- endif -%}
        {%- set stale_query -%}
            select distinct cast(stored.week_start as string) as week_start
            from {{ this }} as stored
            left join {{ ref('int_accounts') }} as accounts
                on stored.account_id = accounts.account_id
            where
                stored.days_in_week is distinct from {{ usage_week_days_in_week('stored.week_start', '(' ~ as_of_date() ~ ')') }}
                or stored.segment is distinct from accounts.segment
            order by 1
        {%- endset -%}
        {%- set weeks = run_query(stale_query).columns[0].values() -%}
        {%- if weeks | length == 0 -%}
            1 = 0
        {%- else -%}
            cast({{ period_expr }} as date) in (
            {%- for w in weeks %}
                cast('{{ w }}' as date){{ "," if not loop.last }}
            {%- endfor %}
            )
        {%- endif -%}
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}
