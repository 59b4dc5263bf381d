-- The snapshot dates this build evaluates the CTA rules at (CONTRACT section 10): the
-- history snapshot dates after the latest date the ledger has already evaluated
-- (meta.cta_evaluations), in date order; every history date when the ledger is replayed
-- (first build, `cswh run --full-refresh`, D before the latest evaluated date: macro
-- cta_ledger_replay_reason). A CTA whose rule would have held at a date already evaluated
-- (late data) is thus raised at the next evaluated date where the rule holds, never in the
-- past.
--
-- Plus, when this build has no new date (a second run with the same D), the latest
-- evaluated date itself again as a recheck (is_recheck true): the rules are read there
-- once more, with today's data, only to tell which of them still hold (section 11: an
-- auto_resolve CTA is resolved when its rule no longer holds at the latest evaluated date);
-- nothing is raised at a recheck date and it is not recorded again in meta.cta_evaluations.
-- So int_cta_signals always holds the firings at the latest evaluated date. Every build
-- evaluates D: D is a snapshot date (reading 23), and it is either new or the recheck.
-- depends_on: {{ ref('stg_usage__daily') }}
{% set replay = cta_ledger_replay_reason() %}

with

snapshot_dates as (
    select snapshot_date from {{ ref('int_snapshot_dates') }}
),

new_dates as (
    select snapshot_date
    from snapshot_dates
    {% if replay is none %}
        where snapshot_date > (select max(evaluations.evaluated_on) from {{ cta_evaluations_relation() }} as evaluations)
    {% endif %}
),

latest_date as (
    select max(snapshot_date) as snapshot_date
    from snapshot_dates
),

new_date_count as (
    select count(*) as new_dates
    from new_dates
),

-- the latest snapshot date, when it is not new: evaluated before (D unchanged since then)
recheck_date as (
    select latest_date.snapshot_date
    from latest_date
    cross join new_date_count
    where
        latest_date.snapshot_date is not null
        and new_date_count.new_dates = 0
),

final as (
    select
        snapshot_date,
        row_number() over (order by snapshot_date) as evaluation_order,
        {{ "true" if replay is not none else "false" }} as is_replay,
        false as is_recheck
    from new_dates

    union all

    select
        snapshot_date,
        cast(null as bigint) as evaluation_order,
        false as is_replay,
        true as is_recheck
    from recheck_date
)

select * from final
