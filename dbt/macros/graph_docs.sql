{#- Documentation as data: rows built from dbt's own graph (descriptions and meta.label_ja
    of the yml), so the database can answer "what is this column called in Japanese, what
    does it mean" with nothing typed twice. Used by dq.glossary and marts.dim_columns. -#}

{#- The entries of one documented table (a model or source node): the table, then each of
    its columns (with_values: each followed by the values its meta.values explains), as
    dicts with glossary_key, entry_kind, table_name, column_name, code_value, label_ja,
    meaning, defined_in. -#}
{% macro documented_table_entries(node, table_name, defined_in, with_values=false) -%}
    {%- set entries = [{
        'glossary_key': table_name, 'entry_kind': 'table', 'table_name': table_name,
        'column_name': none, 'code_value': none, 'label_ja': node.meta.get('label_ja'),
        'meaning': node.description, 'defined_in': defined_in}] -%}
    {%- for column in node.columns.values() -%}
        {%- do entries.append({
            'glossary_key': table_name ~ '.' ~ column.name, 'entry_kind': 'column',
            'table_name': table_name, 'column_name': column.name, 'code_value': none,
            'label_ja': column.meta.get('label_ja'), 'meaning': column.description,
            'defined_in': defined_in}) -%}
        {%- for value, meaning in (column.meta.get('values', {}) if with_values else {}).items() -%}
            {%- do entries.append({
                'glossary_key': table_name ~ '.' ~ column.name ~ '=' ~ value, 'entry_kind': 'value',
                'table_name': table_name, 'column_name': column.name, 'code_value': value,
                'label_ja': none, 'meaning': meaning, 'defined_in': defined_in}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(entries) }}
{%- endmacro %}

{#- The yml file documenting a model, relative to the repository. -#}
{% macro documented_in(node) -%}
    {{ return('dbt/' ~ node.patch_path.split('://')[-1]) }}
{%- endmacro %}

{#- A select of literal rows, one per entry, with the given text fields and a sort_order
    (the entry's position); an empty, typed select when there are no entries. One VALUES
    list, not a select per entry joined by union all: Spark plans a union of a thousand
    selects for tens of seconds, an inline table at once. -#}
{% macro entry_rows(entries, fields) -%}
    {%- if entries %}
        select * from (
            values
            {%- for e in entries %}
                (
                    {%- for f in fields -%}
                        {%- if e[f] is none -%}
                            cast(null as {{ dbt.type_string() }})
                        {%- else -%}
                            cast('{{ e[f] | string | trim | replace("'", "''") }}' as {{ dbt.type_string() }})
                        {%- endif %}, {% endfor -%}
                    {{ loop.index }}){{ ',' if not loop.last }}
            {%- endfor %}
        ) as entry_values ({{ fields | join(', ') }}, sort_order)
    {%- else %}
        select
            {%- for f in fields %}
                cast(null as {{ dbt.type_string() }}) as {{ f }},
            {%- endfor %}
            0 as sort_order
        where 1 = 0
    {%- endif %}
{%- endmacro %}
