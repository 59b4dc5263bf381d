{#- Seeds on Spark. dbt-spark 1.11's session method formats the seed rows into the SQL with
    `sql % params`: no quoting (a ' in a CSV breaks the insert) and an empty cell becomes the
    text 'None'. Here each value is an escaped literal cast to its column's type, and an empty
    cell a typed null, so a Spark seed table holds what DuckDB's does. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {% set batch_size = get_batch_size() %}
  {% set column_override = model['config'].get('column_types', {}) %}
  {% set statements = [] %}
  {% for chunk in agate_table.rows | batch(batch_size) %}
    {% set sql %}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for col_name in agate_table.column_names -%}
          {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
          {%- set type = column_override.get(col_name, inferred_type) -%}
          {%- set v = row[loop.index0] -%}
          {%- if v is none -%}cast(null as {{ type }})
          {%- else -%}cast('{{ v | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }}){%- endif -%}
          {%- if not loop.last %},{% endif -%}
        {%- endfor -%}){%- if not loop.last %},{% endif %}
      {%- endfor %}
    {% endset %}
    {% do adapter.add_query(sql, abridge_sql_log=True) %}
    {% if loop.index0 == 0 %}{% do statements.append(sql) %}{% endif %}
  {% endfor %}
  {{ return(statements[0]) }}
{% endmacro %}
