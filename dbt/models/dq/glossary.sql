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
        {%- if t.resource_type == 'source' -%}
            {%- set defined_in = 'dagster_project/dq_schema.py' -%}
        {%- else -%}
            {%- set defined_in = 'dbt/' ~ t.patch_path.split('://')[-1] -%}
        {%- endif -%}
        {%- do entries.append({
            'glossary_key': table_name, 'entry_kind': 'table', 'table_name': table_name,
            'column_name': none, 'code_value': none, 'label_ja': t.meta.get('label_ja'), 'meaning': t.description,
            'defined_in': defined_in}) -%}
        {%- for column in t.columns.values() -%}
            {%- set column_key = table_name ~ '.' ~ column.name -%}
            {%- do entries.append({
                'glossary_key': column_key, 'entry_kind': 'column', 'table_name': table_name,
                'column_name': column.name, 'code_value': none,
                'label_ja': column.meta.get('label_ja'), 'meaning': column.description,
                'defined_in': defined_in}) -%}
            {%- for value, meaning in column.meta.get('values', {}).items() -%}
                {%- do entries.append({
                    'glossary_key': column_key ~ '=' ~ value, 'entry_kind': 'value',
                    'table_name': table_name, 'column_name': column.name, 'code_value': value,
                    'label_ja': none,
                    'meaning': meaning, 'defined_in': defined_in}) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif -%}

{%- set fields = ['glossary_key', 'entry_kind', 'table_name', 'column_name', 'code_value',
    'label_ja', 'meaning', 'defined_in'] %}

with

entries as (
    {%- for e in entries %}
        select
            {%- for f in fields %}
                {% if e[f] is none -%}
                    cast(null as {{ dbt.type_string() }})
                {%- else -%}
                    cast('{{ e[f] | string | trim | replace("'", "''") }}' as {{ dbt.type_string() }})
                {%- endif %} as {{ f }},
            {%- endfor %}
            {{ loop.index }} as sort_order
        {% if not loop.last %}union all{% endif %}
    {%- else %}
        select
            {%- for f in fields %}
                cast(null as {{ dbt.type_string() }}) as {{ f }},
            {%- endfor %}
            0 as sort_order
        where 1 = 0
    {%- endfor %}
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
