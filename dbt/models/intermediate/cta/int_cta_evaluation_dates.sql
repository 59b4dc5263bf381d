-- The snapshot dates this build evaluates the CTA rules at (CONTRACT section 10): the
-- history snapshot dates after the latest date the ledger has already evaluated
-- (meta.cta_evaluations), in date order; every history date when the ledger is replayed
-- (first build, `cswh run --full-refresh`, D before the latest evaluated date: macro
-- cta_ledger_replay_reason). A CTA whose rule would have held at a date already evaluated
-- (late data) is thus raised at the next evaluated date where the rule holds, never in the
-- past.
-- depends_on: {{ ref('stg_usage__daily') }}
{% set replay = cta_ledger_replay_reason() %}

select
    snapshot_date,
    row_number() over (order by snapshot_date) as evaluation_order,
    {{ "true" if replay is not none else "false" }} as is_replay
from {{ ref('int_snapshot_dates') }}
{% if replay is none %}
    where snapshot_date > (select max(evaluations.evaluated_on) from {{ cta_evaluations_relation() }} as evaluations)
{% endif %}
