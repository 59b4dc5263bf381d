{#-
    The as-of date D as a SQL date expression, in this order:
    1. the var `as_of_date` (YYYY-MM-DD) when set (unit tests, ad-hoc runs);
    2. meta.run_context.as_of_date, written by the Dagster run before `dbt build` (passing D
       as data instead of --vars keeps dbt's partial parse valid: no re-parse on every run);
    3. the latest activity_date in the usage data.

    ref() is called in every branch on purpose: the dependency must be the same whichever
    branch renders, because Dagster orders dbt's results by the manifest.
-#}
{% macro as_of_date() -%}
    {%- set usage = ref('stg_usage__daily') -%}
    {%- set d = var('as_of_date', none) -%}
    {%- if d -%}
        cast('{{ d }}' as date)
    {%- else -%}
        coalesce(
            (select max(as_of_date) from {{ run_context_relation() }}),
            (select max(activity_date) from {{ usage }})
        )
    {%- endif -%}
{%- endmacro %}

{% macro run_context_relation() -%}
    {{ api.Relation.create(database=relation_database(), schema='meta', identifier='run_context') }}
{%- endmacro %}

{#- The dates the CTA ledger has evaluated (section 10), written by int_cta_ledger's
    post-hook in the ledger's own transaction. -#}
{% macro cta_evaluations_relation() -%}
    {{ api.Relation.create(database=relation_database(), schema='meta', identifier='cta_evaluations') }}
{%- endmacro %}

{#- on-run-start: the tables exist (empty) even when dbt runs outside Dagster. The database is
    named after the warehouse file (e.g. "cs-warehouse"): render it as a relation, quoted. -#}
{% macro create_run_context() -%}
    {{ return(adapter.dispatch('create_run_context', 'cswh')()) }}
{%- endmacro %}

{% macro default__create_run_context() -%}
    create schema if not exists {{ api.Relation.create(database=relation_database(), schema='meta') }};
    create table if not exists {{ run_context_relation() }} (as_of_date date, run_id varchar);
    alter table {{ run_context_relation() }} add column if not exists full_refresh boolean;
    create table if not exists {{ cta_evaluations_relation() }} (
        evaluated_on date, as_of_date date, run_id varchar, evaluated_at timestamp
    );
{%- endmacro %}

{#- On Spark the sources are the lake's Parquet folders (CSWH_LAKE/<schema>/<table>/, written
    by extraction; meta/run_context by the run before dbt): every dbt command (re)registers
    them as external tables, so a table sees the files that are there now. Spark's session
    runs one statement per call. meta.run_context is declared with its columns, so it exists
    (empty) when the lake has no file for it; meta.cta_evaluations is a table of Spark's own. -#}
{% macro spark__create_run_context() -%}
    {%- if execute -%}
        {#- cswh exports CSWH_LAKE (config.lake_path() is the one home of its default) -#}
        {%- set lake = env_var('CSWH_LAKE', '').rstrip('/') -%}
        {%- if not lake -%}
            {{ exceptions.raise_compiler_error("CSWH_LAKE is not set: the spark target reads its sources from the lake (cswh sets it, by default data/lake beside the landing zone data/raw; export it when running dbt by hand)") }}
        {%- endif -%}
        {%- set tables = [] -%}
        {%- for node in graph.sources.values() -%}
            {%- do tables.append((node.schema, node.identifier)) -%}
        {%- endfor -%}
        {%- for schema in (tables | map(attribute=0) | list + ['meta']) | unique | sort -%}
            {%- do run_query('create schema if not exists ' ~ schema) -%}
        {%- endfor -%}
        {%- for schema, table in tables | unique | sort -%}
            {%- do run_query('drop table if exists ' ~ schema ~ '.' ~ table) -%}
            {%- do run_query(
                'create table ' ~ schema ~ '.' ~ table ~ " using parquet options (mergeSchema 'true') location '"
                ~ lake ~ '/' ~ schema ~ '/' ~ table ~ "'"
            ) -%}
        {%- endfor -%}
        {%- do run_query('drop table if exists ' ~ run_context_relation()) -%}
        {%- do run_query(
            'create table ' ~ run_context_relation() ~ ' (as_of_date date, run_id string, full_refresh boolean)'
            ~ " using parquet location '" ~ lake ~ "/meta/run_context'"
        ) -%}
        {%- do run_query(
            'create table if not exists ' ~ cta_evaluations_relation()
            ~ ' (evaluated_on date, as_of_date date, run_id string, evaluated_at timestamp) using parquet'
        ) -%}
    {%- endif -%}
    select 1
{%- endmacro %}
