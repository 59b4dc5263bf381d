{#-
    What differs between the engines the project builds on (DuckDB, the default; Apache Spark,
    issue 18), one macro per difference, each engine's twin beside the other. A model or macro
    says what it means (an ordered list of values, a table rewritten by day) and the dispatch
    says how the engine spells it; the DuckDB rendering is the SQL the project always had.
-#}

{#- The database part of a relation this project names itself (meta.*): DuckDB's database
    is the warehouse file; Spark relations have none (dbt-spark refuses one). -#}
{% macro relation_database() -%}
    {{ return(adapter.dispatch('relation_database', 'cswh')()) }}
{%- endmacro %}

{% macro default__relation_database() -%}
    {{ return(target.database) }}
{%- endmacro %}

{% macro spark__relation_database() -%}
    {{ return(none) }}
{%- endmacro %}

{#- Every row of a table removed, in place (Spark's Parquet tables take no DELETE). -#}
{% macro delete_all_rows(relation) -%}
    {{ return(adapter.dispatch('delete_all_rows', 'cswh')(relation)) }}
{%- endmacro %}

{% macro default__delete_all_rows(relation) -%}
    delete from {{ relation }}
{%- endmacro %}

{% macro spark__delete_all_rows(relation) -%}
    truncate table {{ relation }}
{%- endmacro %}

{#- The values of `expr` in a group as one text, sorted by the value itself (distinct ones
    only with `distinct`); null when the group has no non-null value. -#}
{% macro string_agg_sorted(expr, separator, distinct=false) -%}
    {{ return(adapter.dispatch('string_agg_sorted', 'cswh')(expr, separator, distinct)) }}
{%- endmacro %}

{% macro default__string_agg_sorted(expr, separator, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expr }}, {{ separator }} order by {{ expr }})
{%- endmacro %}

{% macro spark__string_agg_sorted(expr, separator, distinct) -%}
    nullif(array_join(array_sort({{ 'collect_set' if distinct else 'collect_list' }}({{ expr }})), {{ separator }}), '')
{%- endmacro %}

{#-
    The incremental configuration of a model that rewrites whole days (or weeks) of a date
    key: a build computes the periods it replaces, every row of each. DuckDB deletes the
    stored rows of those periods and inserts the new ones (delete+insert by the key); Spark
    overwrites the key's partitions (insert_overwrite on Parquet, which takes no DELETE).
    Use: config(materialized='incremental', ..., **incremental_by_day('activity_date')).
-#}
{% macro incremental_by_day(key) -%}
    {{ return(adapter.dispatch('incremental_by_day', 'cswh')(key)) }}
{%- endmacro %}

{% macro default__incremental_by_day(key) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': key}) }}
{%- endmacro %}

{% macro spark__incremental_by_day(key) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [key], 'file_format': 'parquet'}) }}
{%- endmacro %}

{#- The configuration of a small incremental model keyed by other columns than a date
    (int_usage_firsts, by account and user): DuckDB replaces the changed keys
    (delete+insert); Spark, whose Parquet tables can only overwrite whole partitions,
    rebuilds the table (one row per user) on every build. -#}
{% macro incremental_by_key(key) -%}
    {{ return(adapter.dispatch('incremental_by_key', 'cswh')(key)) }}
{%- endmacro %}

{% macro default__incremental_by_key(key) -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'delete+insert', 'unique_key': key}) }}
{%- endmacro %}

{% macro spark__incremental_by_key(key) -%}
    {{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
{%- endmacro %}

{#-
    The configuration of the health history models (fct_account_health, fct_health_metrics;
    config `health_history` marks them, macro health_history_models). DuckDB: strategy
    history_batch (macro get_incremental_history_batch_sql) replaces the batch's account and
    date pairs and drops the dates that left the history. Spark: the batch is whole dates
    (int_snapshot_batch, macro health_batch_whole_dates), overwritten as partitions of
    snapshot_date; a post-hook drops the partitions of dates that left the history.
-#}
{% macro health_history_config() -%}
    {{ return(adapter.dispatch('health_history_config', 'cswh')()) }}
{%- endmacro %}

{% macro default__health_history_config() -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'history_batch', 'health_history': true}) }}
{%- endmacro %}

{% macro spark__health_history_config() -%}
    {{ return({
        'materialized': 'incremental', 'incremental_strategy': 'insert_overwrite', 'health_history': true,
        'partition_by': ['snapshot_date'], 'file_format': 'parquet',
        'post_hook': ['{{ health_history_drop_left_dates() }}'],
    }) }}
{%- endmacro %}

{#- Does a build of the health history rewrite whole snapshot dates (Spark) or account and
    date pairs (DuckDB)? -#}
{% macro health_batch_whole_dates() -%}
    {{ return(adapter.dispatch('health_batch_whole_dates', 'cswh')()) }}
{%- endmacro %}

{% macro default__health_batch_whole_dates() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro spark__health_batch_whole_dates() -%}
    {{ return(true) }}
{%- endmacro %}

{#- Spark post-hook of a history model: the partitions of dates no longer in the history
    (the previous run's current snapshot, the oldest grid day) are dropped. -#}
{% macro health_history_drop_left_dates() -%}
    {%- if execute and is_incremental() -%}
        {%- set dates = existing_model_relation('int_snapshot_dates') -%}
        {%- set left = run_query(
            'select distinct cast(snapshot_date as string) from ' ~ this
            ~ ' where snapshot_date not in (select snapshot_date from ' ~ dates ~ ') order by 1'
        ).columns[0].values() -%}
        {%- for day in left -%}
            {%- do run_query('alter table ' ~ this ~ " drop if exists partition (snapshot_date = '" ~ day ~ "')") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- The share of a group's rows where `condition` holds, as a double. DuckDB's avg over the
    decimal literals gives a double; Spark's would give decimal(6, 5) (5 decimals), so its
    twin averages double literals. -#}
{% macro share_where(condition) -%}
    {{ return(adapter.dispatch('share_where', 'cswh')(condition)) }}
{%- endmacro %}

{% macro default__share_where(condition) -%}
    avg(case when {{ condition }} then 1.0 else 0.0 end)
{%- endmacro %}

{% macro spark__share_where(condition) -%}
    avg(case when {{ condition }} then 1.0D else 0.0D end)
{%- endmacro %}
