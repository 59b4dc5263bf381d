{#-
    Each distinct day of `events`.`day_column` mapped to the snapshot whose period holds
    it: (previous snapshot, snapshot], days up to the first snapshot map to the first.
    Running counts (+1/-1 events) are summed per period through this small day x snapshot
    map, so the event tables themselves need only an equality join.
-#}
{% macro snapshot_period_map(events, day_column, snapshots='snapshot_dates') -%}
    select
        event_days.{{ day_column }},
        snapshot_periods.snapshot_date
    from (select distinct {{ day_column }} from {{ events }}) as event_days
    inner join (
        select
            snapshot_date,
            lag(snapshot_date) over (order by snapshot_date) as previous_snapshot_date
        from {{ snapshots }}
    ) as snapshot_periods
        on
            event_days.{{ day_column }} <= snapshot_periods.snapshot_date
            and (
                snapshot_periods.previous_snapshot_date is null
                or event_days.{{ day_column }} > snapshot_periods.previous_snapshot_date
            )
{%- endmacro %}

{#-
    Running totals (or maxima) per account over the snapshot dates: `periods` holds one row
    per account and snapshot period (account_id, snapshot_date, measures...), e.g. events
    summed through snapshot_period_map; the result has one row per account of `accounts`
    and date of `snapshots`, each measure accumulated over every period up to that date.

    running_at_snapshots(periods, accounts, measures, snapshots='snapshot_dates')
      measures: [(aggregate, column, alias)], aggregate 'sum' (nulls count as 0) or 'max'.
-#}
{% macro running_at_snapshots(periods, accounts, measures, snapshots='snapshot_dates') -%}
    select
        account_grid.account_id,
        account_grid.snapshot_date,
        {%- for aggregate, column, alias in measures %}
        {{ aggregate }}({{ "coalesce(" ~ periods ~ "." ~ column ~ ", 0)" if aggregate == 'sum' else periods ~ "." ~ column }}) over (
            partition by account_grid.account_id
            order by account_grid.snapshot_date
            rows between unbounded preceding and current row
        ) as {{ alias }}{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select
            accounts.account_id,
            {{ snapshots }}.snapshot_date
        from (select distinct account_id from {{ accounts }}) as accounts
        cross join {{ snapshots }}
    ) as account_grid
    left join {{ periods }}
        on
            account_grid.account_id = {{ periods }}.account_id
            and account_grid.snapshot_date = {{ periods }}.snapshot_date
{%- endmacro %}
