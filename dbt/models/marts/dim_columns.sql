-- Every published table and column of schema marts with its Japanese name (meta.label_ja)
-- and description, written from dbt's own graph (the marts' yml, the one place they are
-- written): what a dashboard or an analyst's tool shows as a Japanese column header, and
-- what `duckdb_columns().comment` holds as text.

{%- set entries = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() | sort(attribute='name') -%}
        {%- if node.resource_type == 'model' and node.config.schema == 'marts' -%}
            {%- do entries.extend(documented_table_entries(node, 'marts.' ~ node.name, documented_in(node))) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

entries as (
    {{ entry_rows(entries, ['entry_kind', 'table_name', 'column_name', 'label_ja', 'meaning', 'defined_in']) }}
),

final as (
    select
        table_name,
        column_name,
        entry_kind,
        label_ja,
        meaning as description,
        defined_in,
        sort_order
    from entries
)

select * from final
