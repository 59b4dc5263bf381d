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
