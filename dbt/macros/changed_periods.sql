{#-
    Incremental helper for the heavy usage models.

    The usage models carry `_day_loaded_at`: the latest raw `_loaded_at` of any row of that
    activity_date (every version, winners and losers). A model built incrementally from an
    upstream relation recomputes exactly the periods (days, weeks) that hold an upstream row
    newer than the newest one it has already processed; a late re-delivery of an old day
    therefore recomputes that old day (and its week) and nothing else.

    changed_periods_filter(period_expr, upstream, upstream_loaded_column, watermark_column)
      returns a SQL predicate over `period_expr` for the model's read of `upstream`:
      `1 = 1` on a full build, otherwise `period_expr in (<literal list>)`, or `1 = 0`
      when nothing new arrived. The watermark and the list are read with two small queries
      at run time, as literals, so that DuckDB skips the row groups outside them.
      With `day_column` (and `period_days`, the length of a period), the periods are also
      given as a range of that raw day column, which DuckDB can prune on when `period_expr`
      is an expression of it (weeks).
-#}
{% macro changed_periods_filter(period_expr, upstream, upstream_loaded_column='_day_loaded_at', watermark_column='_day_loaded_at', day_column=none, period_days=1) -%}
    {%- if is_incremental() -%}
        {#- The watermark as a literal, so the read of `upstream` below can skip the row
            groups loaded before it (upstream rows are appended in load order). -#}
        {%- set watermark_query -%}
            select cast(coalesce(max({{ watermark_column }}), cast('1900-01-01 00:00:00' as timestamp)) as string)
            from {{ this }}
        {%- endset -%}
        {%- set watermark = run_query(watermark_query).columns[0].values()[0] if execute else '1900-01-01 00:00:00' -%}
        {%- set periods_query -%}
            select distinct cast({{ period_expr }} as date) as period
            from {{ upstream }}
            where {{ upstream_loaded_column }} > cast('{{ watermark }}' as timestamp)
            order by 1
        {%- endset -%}
        {%- set periods = run_query(periods_query).columns[0].values() if execute else [] -%}
        {%- if periods | length == 0 -%}
            1 = 0
        {%- else -%}
            cast({{ period_expr }} as date) in (
            {%- for p in periods %}
                cast('{{ p }}' as date){{ "," if not loop.last }}
            {%- endfor %}
            )
            {%- if day_column is not none %}
                {#- the same periods as a range of the raw day column: a constant range that
                    DuckDB checks against each row group's min/max before reading it -#}
                {%- set last_day = periods[-1] + modules.datetime.timedelta(days=period_days - 1) %}
                and {{ day_column }} between cast('{{ periods[0] }}' as date)
                and cast('{{ last_day.strftime('%Y-%m-%d') }}' as date)
            {%- endif %}
        {%- endif -%}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
