{#-
    Tests on a daily build validate the rows the build wrote (CONTRACT section 10, issue 12):
    the health history models keep every earlier grid day as it was, already tested when it
    was written, so their tests read only the rows with this build's `_built_at`. A full
    build (first, --full-refresh, changed seeds) writes every row, so its tests see them all.
-#}

{#- The rows of a health history model written by its latest build. -#}
{% macro this_build(relation) -%}
    (select * from {{ relation }} where _built_at = (select max(_built_at) from {{ relation }}))
{%- endmacro %}

{#- dbt's generic tests read their model through get_where_subquery: for a health history
    model (config health_history), that is its latest build's rows (plus the
    test's own `where`, if any). Only at run time: the graph is not there while parsing. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set ns = namespace(history=false) -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model'
            and node.alias == relation.identifier and node.schema == relation.schema
            and node.config.get('health_history') -%}
            {%- set ns.history = true -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if where or ns.history -%}
        {%- set filtered -%}
            (
                select * from {{ relation }} as rows_tested
                where {{ "_built_at = (select max(_built_at) from " ~ relation ~ ")" if ns.history else "1 = 1" }}
                {% if where %}and ({{ where }}){% endif %}
            ) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
