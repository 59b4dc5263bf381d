{#-
    The key `columns` is not null and unique. With `latest_only_by` (a watermark column of
    an incremental model, e.g. _day_loaded_at), only the rows written by the latest build are
    checked: earlier rows were checked when they were written, and the key includes the
    period, so new rows cannot collide with old ones. Keeps daily runs off a full scan of
    the ~100M-row usage history.
-#}
{% test unique_key(model, columns, latest_only_by=none) %}

with

checked as (
    select {{ columns | join(', ') }}
    from {{ model }}
    {%- if latest_only_by %}
    where {{ latest_only_by }} = (select max({{ latest_only_by }}) from {{ model }})
    {%- endif %}
)

select
    {{ columns | join(', ') }},
    count(*) as occurrences
from checked
group by {{ columns | join(', ') }}
having
    count(*) > 1
    {%- for c in columns %}
    or {{ c }} is null
    {%- endfor %}

{% endtest %}
