-- Outcomes whose cta_id is not in the CTA ledger (CONTRACT section 10): recorded against a
-- CTA that a replay did not raise again (different inputs or D), or mistyped elsewhere.
-- They stay in raw, are never dropped, and are listed here for auditors and counted in the
-- run summary.

with

outcomes as (
    select * from {{ ref('stg_cta_actions__outcomes') }}
),

ledger as (
    select cta_id from {{ ref('int_cta_ledger') }}
),

final as (
    select
        outcomes.cta_id,
        outcomes.recorded_at,
        outcomes.recorded_by,
        outcomes.outcome,
        outcomes.note,
        outcomes._source_file as source_file,
        outcomes._loaded_at as loaded_at
    from outcomes
    where outcomes.cta_id not in (select ledger.cta_id from ledger)
)

select * from final
