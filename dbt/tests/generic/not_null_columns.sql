{#-
    None of `columns` is null: one test per model instead of one per column. A daily build
    runs every test of the project, and dbt's cost is mostly per test, not per row (about 20
    ms each on these machines): 170 column tests became one per model. A failing row names
    the columns that are null.
-#}
{% test not_null_columns(model, columns) %}

select
    {%- for c in columns %}
    case when {{ c }} is null then '{{ c }}' end as {{ c }}_is_null{{ "," if not loop.last }}
    {%- endfor %}
from {{ model }}
where
    {%- for c in columns %}
    {{ c }} is null{{ " or" if not loop.last }}
    {%- endfor %}

{% endtest %}
