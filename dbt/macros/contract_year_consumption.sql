{#-
    Quota consumption in the current contract year, the one home of the rule: for each row
    of `snapshots` (account_id, snapshot_date S, contract_year_start, annual_quota)
      contract_year_core_events = core_action events of the account from
                                  contract_year_start through S
      quota_consumption         = contract_year_core_events / annual_quota (null when 0)
    One running total per account: probe rows at S and at the day before the contract-year
    start are interleaved with the account's core-action days, so one window pass gives
    both cumulative sums and their difference is the contract year's events (no range scan
    per snapshot). Events before the earliest contract-year start of `snapshots` cancel
    out of both sums and are never read, so a daily build reads about a year of usage.
-#}
{% macro contract_year_consumption(snapshots) -%}
    with

    contract_year_core_days as (
        select
            account_id,
            activity_date,
            sum(event_count) as core_action_events
        from {{ ref('int_usage_account_feature_day') }}
        where
            feature = 'core_action'
            and activity_date >= (select min(contract_year_start) from {{ snapshots }})
            and activity_date <= (select max(snapshot_date) from {{ snapshots }})
            and account_id in (select account_id from {{ snapshots }})
        group by account_id, activity_date
    ),

    contract_year_timeline as (
        select
            account_id,
            activity_date as on_date,
            core_action_events,
            cast(null as date) as snapshot_date,
            cast(null as string) as probe
        from contract_year_core_days

        union all

        select
            account_id,
            snapshot_date as on_date,
            0 as core_action_events,
            snapshot_date,
            'at_snapshot' as probe
        from {{ snapshots }}

        union all

        select
            account_id,
            {{ add_days('contract_year_start', -1) }} as on_date,
            0 as core_action_events,
            snapshot_date,
            'before_year_start' as probe
        from {{ snapshots }}
    ),

    contract_year_running as (
        select
            account_id,
            snapshot_date,
            probe,
            sum(core_action_events) over (
                partition by account_id
                order by on_date
                range between unbounded preceding and current row
            ) as cumulative_core_events
        from contract_year_timeline
    )

    select
        snapshot_rows.account_id,
        snapshot_rows.snapshot_date,
        at_snapshot.cumulative_core_events
        - before_year_start.cumulative_core_events as contract_year_core_events,
        cast(at_snapshot.cumulative_core_events - before_year_start.cumulative_core_events as double)
        / nullif(snapshot_rows.annual_quota, 0) as quota_consumption
    from {{ snapshots }} as snapshot_rows
    inner join contract_year_running as at_snapshot
        on
            snapshot_rows.account_id = at_snapshot.account_id
            and snapshot_rows.snapshot_date = at_snapshot.snapshot_date
            and at_snapshot.probe = 'at_snapshot'
    inner join contract_year_running as before_year_start
        on
            snapshot_rows.account_id = before_year_start.account_id
            and snapshot_rows.snapshot_date = before_year_start.snapshot_date
            and before_year_start.probe = 'before_year_start'
{%- endmacro %}
