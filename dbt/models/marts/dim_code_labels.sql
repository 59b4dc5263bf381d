-- Every code value the marts and pages show, with its Japanese and English label, as
-- published for analysts and the dashboard (seed code_labels, the one home of labels).
-- Join on (code_kind, code): e.g. fct_cta_candidates.priority = code where code_kind =
-- 'cta_priority'.

with

code_labels as (
    select * from {{ ref('code_labels') }}
),

final as (
    select
        code_kind,
        code,
        label_ja,
        label_en,
        sort_order
    from code_labels
)

select * from final
