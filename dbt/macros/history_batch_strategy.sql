{#-
    Incremental strategy of the health history models (fct_account_health,
    fct_health_metrics): the model's SQL computes this build's batch (int_snapshot_batch);
    the strategy deletes every stored row of a batch pair (an account no longer active at a
    recomputed date loses its row) and every row of a date that left the history (the
    previous run's current snapshot, the oldest grid day), then inserts the batch. Both run
    in the model's transaction. On a full build (the first, --full-refresh, changed seeds)
    the batch is every pair and the table is simply recreated.
-#}
{% macro get_incremental_history_batch_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set batch = existing_model_relation('int_snapshot_batch') -%}
    {%- set dates = existing_model_relation('int_snapshot_dates') -%}
    delete from {{ target }} as stored
    where stored.snapshot_date not in (select snapshot_date from {{ dates }})
        or exists (
            select 1
            from {{ batch }} as batch
            where batch.account_id = stored.account_id
                and batch.snapshot_date = stored.snapshot_date
        );
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}
