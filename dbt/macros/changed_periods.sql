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
      when nothing new arrived. The list is read with one small query at run time.
-#}
{% macro changed_periods_filter(period_expr, upstream, upstream_loaded_column='_day_loaded_at', watermark_column='_day_loaded_at') -%}
    {%- if is_incremental() -%}
        {%- set periods_query -%}
            select distinct cast({{ period_expr }} as date) as period
            from {{ upstream }}
            where {{ upstream_loaded_column }} > (
                select coalesce(max({{ watermark_column }}), cast('1900-01-01 00:00:00' as timestamp))
                from {{ this }}
            )
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
        {%- endif -%}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
