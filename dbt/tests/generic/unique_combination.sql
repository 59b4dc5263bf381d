{#- The combination of `columns` is unique (nulls compare equal: a null in a key column
    is one value, as in a natural key such as a seminar's placeholder row). -#}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
