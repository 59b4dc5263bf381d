-- One row per account with its segment (CONTRACT section 3, seed segments): the one place
-- the employee-count bands are applied. Everything that shows or routes by segment joins
-- this model instead of the seed.

with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

segments as (
    {{ labelled_seed('segments', 'segment', 'segment') }}
),

final as (
    select
        accounts.*,
        segments.segment,
        segments.label_ja as segment_label_ja
    from accounts
    left join segments
        on
            accounts.employee_count >= segments.min_employees
            and (segments.max_employees is null or accounts.employee_count <= segments.max_employees)
)

select * from final
