{#- A seed's rows with the Japanese and English labels of its code from seed code_labels
    (the one home of labels): `select seed.*, label_en, label_ja`. Used as an import CTE in
    place of `select * from ref(seed)`. A code without a label gets null labels here, and
    the test assert_every_code_value_has_a_label fails. -#}
{% macro labelled_seed(seed_name, code_column, code_kind) %}
    select
        seed_rows.*,
        code_labels.label_en,
        code_labels.label_ja
    from {{ ref(seed_name) }} as seed_rows
    left join {{ ref('code_labels') }} as code_labels
        on
            code_labels.code_kind = '{{ code_kind }}'
            and code_labels.code = cast(seed_rows.{{ code_column }} as {{ dbt.type_string() }})
{% endmacro %}
