{#-
    Which delivered version of a record wins (CONTRACT reading 18): for the same key the later
    delivery file (deliveries order by path), then the later record of the file; `newest_first`
    puts a record's own ordering first (tickets: the later updated_at wins). Rank 1 wins:

        ranked as (select *, {{ latest_delivery_rank(['account_id']) }} as _version_rank from source)
        ... where _version_rank = 1
-#}
{% macro latest_delivery_rank(key_columns, newest_first=none, alias=none) -%}
    {%- set col = (alias ~ '.') if alias else '' -%}
    row_number() over (
        partition by {% for k in key_columns %}{{ col }}{{ k }}{{ ", " if not loop.last }}{% endfor %}
        order by {{ (newest_first ~ ', ') if newest_first else '' }}{{ col }}_source_file desc, {{ col }}_row_number desc
    )
{%- endmacro %}
