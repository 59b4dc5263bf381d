{#- Rows (relation_name, column_name, code_kind, code) for every distinct non-null value of
    the given columns that has no row in seed code_labels. `checks` is a list of
    [relation, column, code_kind]. Used by the tests assert_every_code_value_has_a_label
    and assert_free_text_codes_have_a_label. -#}
{% macro unlabelled_codes(checks) %}
    {%- for relation, column_name, code_kind in checks %}
        select distinct
            '{{ relation.identifier }}' as relation_name,
            '{{ column_name }}' as column_name,
            '{{ code_kind }}' as code_kind,
            cast(checked.{{ column_name }} as {{ dbt.type_string() }}) as code
        from {{ relation }} as checked
        where
            checked.{{ column_name }} is not null
            and not exists (
                select 1
                from {{ ref('code_labels') }} as code_labels
                where
                    code_labels.code_kind = '{{ code_kind }}'
                    and code_labels.code
                    = cast(checked.{{ column_name }} as {{ dbt.type_string() }})
            )
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endmacro %}
