-- The dq glossary: every table of schema dq, every column and every value a status-like
-- column holds, with its meaning and Japanese label. Written from dbt's own graph, so each
-- entry has one source: the dq tables written from Python are the `dq` source
-- (_dq__sources.yml, generated from dagster_project/dq_schema.py), the dq models (this one
-- too) their yml (`meta.values` lists a column's values). Nothing is typed twice: a column
-- or value documented there is listed here, and nothing else.

{%- set entries = [] -%}
{%- if execute -%}
    {%- set tables = [] -%}
    {%- for source in graph.sources.values() | sort(attribute='name') -%}
        {%- if source.source_name == 'dq' -%}
            {%- do tables.append(source) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.config.schema == 'dq' -%}
            {%- do tables.append(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for t in tables -%}
        {%- set table_name = 'dq.' ~ t.name -%}
        {%- set defined_in = 'dagster_project/dq_schema.py' if t.resource_type == 'source' else documented_in(t) -%}
        {%- do entries.extend(documented_table_entries(t, table_name, defined_in, with_values=true)) -%}
    {%- endfor -%}
{%- endif -%}

{%- set fields = ['glossary_key', 'entry_kind', 'table_name', 'column_name', 'code_value',
    'label_ja', 'meaning', 'defined_in'] %}

with

entries as (
    {{ entry_rows(entries, fields) }}
),

final as (
    select
        glossary_key,
        entry_kind,
        table_name,
        column_name,
        code_value,
        label_ja,
        meaning,
        defined_in,
        sort_order
    from entries
)

select * from final
