-- A table, not a view: person_key needs the salt, which only dbt's connections hold
-- (dagster_project/privacy.py); a view would need it on every read.
{{ config(materialized='table') }}
-- One row per person (e-mail, lower-cased and trimmed as identity matching compares it):
-- the earliest opt-out counts, a later file saying the same changes nothing.
with

source as (
    select * from {{ source('cs_inputs', 'opt_outs') }}
),

normalised as (
    select
        {{ normalise_email('email') }} as email,
        opted_out_at,
        _source_file,
        _row_number,
        _loaded_at
    from source
),

ranked as (
    select
        *,
        row_number() over (
            partition by email order by opted_out_at asc, _source_file asc, _row_number asc
        ) as _first_rank
    from normalised
),

final as (
    select
        email,
        {{ person_key('email') }} as person_key,
        opted_out_at,
        _source_file,
        _loaded_at
    from ranked
    where _first_rank = 1
)

select * from final
