{#- The published tables of a Spark build, as Parquet for the DuckDB warehouse (issue 18):
    every model and seed whose schema is in `schemas` and whose `schema.name` is not in
    `exclude` is written to `<dir>/<schema>/<name>/`. cswh passes publish.PUBLISHED_SCHEMAS and
    publish.NOT_PUBLISHED (dagster_project/transform/spark_import.py), which imports the files:
    `dbt run-operation export_published --target spark --args '{dir: ..., schemas: [...], exclude: [...]}'` -#}
{% macro export_published(dir, schemas, exclude=[]) %}
    {%- if execute -%}
        {%- set exported = [] -%}
        {%- for node in graph.nodes.values()
            if node.resource_type in ('model', 'seed')
            and node.schema in schemas
            and node.config.materialized != 'ephemeral'
            and (node.schema ~ '.' ~ node.alias) not in exclude -%}
            {%- set relation = api.Relation.create(schema=node.schema, identifier=node.alias) -%}
            {%- set path = (dir ~ '/' ~ node.schema ~ '/' ~ node.alias) | replace("'", "\\'") -%}
            {%- do run_query("insert overwrite directory '" ~ path ~ "' using parquet select * from " ~ relation) -%}
            {%- do exported.append(node.schema ~ '.' ~ node.alias) -%}
        {%- endfor -%}
        {{- log('exported ' ~ (exported | length) ~ ' tables to ' ~ dir, info=True) -}}
    {%- endif -%}
{% endmacro %}
