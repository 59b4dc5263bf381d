{#-
    State of the incremental health history and of the CTA ledger (CONTRACT section 10).

    The state is read from the tables themselves, never from a separate log that could
    disagree with them: every row an incremental health model writes carries
    `_built_at` (the dbt invocation's start), and fct_account_health also
    `_inputs_loaded_at` (the newest raw `_loaded_at` the build had seen) and `_seeds_hash`
    (the health seeds it was scored with). Models named here are looked up in the graph,
    not ref()'d: a model that decides what to recompute reads the previous result of a
    model downstream of it, which ref() would call a cycle.
-#}

{#- The models that hold the health history (config health_history, set by macro
    health_history_config, their one declaration); they are built in one batch. -#}
{% macro health_history_models() -%}
    {%- set names = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
        and node.config.get('health_history') -%}
        {%- do names.append(node.name) -%}
    {%- endfor -%}
    {{ return(names | sort) }}
{%- endmacro %}

{#- The seeds a health row depends on: a change to any of them rescores the history. -#}
{% macro health_seeds() -%}
    {{ return(['health_metrics', 'health_dimensions', 'health_tiers', 'segments']) }}
{%- endmacro %}

{#-
    The raw sources a health row is computed from, and how a changed record of each maps to
    accounts and days (int_health_changed_accounts; the newest _loaded_at among them is the
    history's watermark). `account` and `day` are SQL over the raw row `r` (a null day: the
    whole history); `identity` resolves e-mail addresses through the contacts; `subject`
    'email' marks every account holding the record's e-mail addresses (a contact re-maps
    people); `compare` false skips the content comparison (usage: a changed day is cheaper
    to recompute than to compare).
-#}
{% macro health_input_sources() -%}
    {%- set undated = 'cast(null as date)' -%}
    {{ return([
        {'source': 'crm', 'table': 'accounts', 'key': ['account_id'], 'account': 'r.account_id', 'day': undated},
        {'source': 'crm', 'table': 'contacts', 'key': ['contact_id'], 'account': normalise_email('r.email'), 'day': undated, 'subject': 'email'},
        {'source': 'crm', 'table': 'contracts', 'key': ['contract_id'], 'account': 'r.account_id', 'day': undated},
        {'source': 'crm', 'table': 'contract_changes', 'key': ['change_id'], 'account': 'r.account_id', 'day': undated},
        {'source': 'crm', 'table': 'success_plans', 'key': ['objective_id'], 'account': 'r.account_id', 'day': undated},
        {'source': 'crm', 'table': 'activities', 'key': ['activity_id'], 'account': 'r.account_id', 'day': 'cast(r.occurred_at as date)'},
        {'source': 'support', 'table': 'tickets', 'key': ['id'], 'account': 'r.organization_id', 'day': 'cast(r.created_at as date)'},
        {'source': 'nps', 'table': 'responses', 'key': ['response_id'], 'account': 'coalesce(r.account_id, identity.account_id)', 'day': 'cast(r.responded_at as date)', 'identity': true},
        {'source': 'seminars', 'table': 'registrations', 'key': ['seminar_id', 'email'], 'account': 'identity.account_id', 'day': 'cast(r.held_at as date)', 'identity': true},
        {'source': 'usage', 'table': 'users', 'key': ['user_id'], 'account': 'r.account_id', 'day': 'cast(r.created_at as date)'},
        {'source': 'usage', 'table': 'daily', 'key': ['activity_date', 'user_id', 'feature'], 'account': 'r.account_id', 'day': 'r.activity_date', 'compare': false},
        {'source': 'cs_inputs', 'table': 'pulse', 'key': ['pulse_id'], 'account': 'r.account_id', 'day': 'cast(r.recorded_at as date)'},
        {'source': 'cs_inputs', 'table': 'overrides', 'key': ['override_id'], 'account': 'r.account_id', 'day': 'cast(r.set_at as date)'},
    ]) }}
{%- endmacro %}

{#- The columns a model's yml documents (lower case). -#}
{% macro history_model_columns(name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
        {{ return(node.columns.keys() | map('lower') | list) }}
    {%- endfor -%}
    {{ return([]) }}
{%- endmacro %}

{#- The existing relation of a model of this project by name (none before its first build). -#}
{% macro existing_model_relation(name) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == name -%}
        {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ return(none) }}
{%- endmacro %}

{#- A text form of a whole row, for fingerprints. -#}
{% macro row_text(alias) -%}
    {{ return(adapter.dispatch('row_text', 'cswh')(alias)) }}
{%- endmacro %}

{% macro default__row_text(alias) -%}
    cast({{ alias }} as string)
{%- endmacro %}

{% macro spark__row_text(alias) -%}
    to_json(struct({{ alias }}.*))
{%- endmacro %}

{#- md5 of the health seeds' contents (order-independent), as a SQL expression. -#}
{% macro health_seeds_hash() -%}
    md5(
    {%- for seed in health_seeds() %}
        coalesce((
            select {{ string_agg_sorted('md5(' ~ row_text('t') ~ ')', "','") }}
            from {{ ref(seed) }} as t
        ), '') {{- " || '|' ||" if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{#- The timestamp every row written by this dbt invocation carries in `_built_at`. -#}
{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- A value of meta.run_context (written by the Dagster run before dbt), or none. -#}
{% macro run_context_value(column) -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- if adapter.get_relation(relation_database(), 'meta', 'run_context') is none -%}
        {{ return(none) }}  {#- compiled without a run (dbt compile, sqlfluff): no context -#}
    {%- endif -%}
    {%- set rows = run_query('select ' ~ column ~ ' from ' ~ run_context_relation() ~ ' limit 1').rows -%}
    {{ return(rows[0][0] if rows | length > 0 else none) }}
{%- endmacro %}

{#-
    Does this build replay the CTA ledger from scratch (section 10)? On its first build, on
    `cswh run --full-refresh` (meta.run_context.full_refresh) or var cta_ledger_replay, and
    when D is earlier than the latest date already evaluated. A plain `dbt build
    --full-refresh` does not: the ledger holds what people act on (full_refresh: false).
    Returns a reason (text) or none.
-#}
{% macro cta_ledger_replay_reason() -%}
    {%- if not execute -%}{{ return('parse') }}{%- endif -%}
    {%- if var('cta_ledger_replay', false) -%}{{ return('var cta_ledger_replay') }}{%- endif -%}
    {%- if run_context_value('full_refresh') -%}{{ return('full refresh') }}{%- endif -%}
    {%- if existing_model_relation('int_cta_ledger') is none
        or adapter.get_relation(relation_database(), 'meta', 'cta_evaluations') is none -%}
        {{ return('first build') }}
    {%- endif -%}
    {%- set evaluated = run_query(
        'select max(evaluated_on) as latest, (select ' ~ as_of_date() ~ ') as d from ' ~ cta_evaluations_relation()
    ).rows[0] -%}
    {%- if evaluated[0] is none -%}{{ return('no evaluated date') }}{%- endif -%}
    {%- if evaluated[1] is not none and evaluated[1] < evaluated[0] -%}
        {{ return('D ' ~ evaluated[1] ~ ' is before the latest evaluated date ' ~ evaluated[0]) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#-
    How the health history is built this time: {'mode': 'full' | 'incremental', 'reason': text,
    'watermark': the newest raw _loaded_at the previous build had seen}. Full on the first
    build, on --full-refresh, when the health seeds changed (rescoring the history), when the
    previous build did not finish every history model, and when the CTA ledger is replayed
    (it evaluates every snapshot date). Otherwise only the current snapshot, new dates and the
    accounts whose inputs changed are recomputed (int_snapshot_batch).
-#}
{% macro health_history_state() -%}
    {%- if not execute -%}{{ return({'mode': 'full', 'reason': 'parse', 'watermark': none}) }}{%- endif -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return({'mode': 'full', 'reason': 'full refresh', 'watermark': none}) }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for name in health_history_models() -%}
        {%- set relation = existing_model_relation(name) -%}
        {%- if relation is none -%}
            {{ return({'mode': 'full', 'reason': name ~ ' not built yet', 'watermark': none}) }}
        {%- endif -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
        {%- if '_built_at' not in columns or (name == 'fct_account_health'
            and ('_seeds_hash' not in columns or '_inputs_loaded_at' not in columns)) -%}
            {#- a warehouse built before the history was incremental: rebuilt whole once -#}
            {{ return({'mode': 'full', 'reason': name ~ ' has no build state yet', 'watermark': none}) }}
        {%- endif -%}
        {#- a history stored before a column was added (its yml documents it): only a whole
            rebuild fills it on every row, so a daily run equals a fresh build -#}
        {%- set missing = history_model_columns(name) | reject('in', columns | map('lower') | list) | list -%}
        {%- if missing -%}
            {{ return({'mode': 'full', 'reason': name ~ ' lacks ' ~ missing | join(', '), 'watermark': none}) }}
        {%- endif -%}
        {%- do parts.append('select max(_built_at) as built_at from ' ~ relation) -%}
    {%- endfor -%}
    {%- set built = run_query('select count(distinct built_at), count(built_at) from (' ~ parts | join(' union all ') ~ ') as b').rows[0] -%}
    {%- if built[0] != 1 or built[1] != parts | length -%}
        {{ return({'mode': 'full', 'reason': 'the previous build did not finish every history model', 'watermark': none}) }}
    {%- endif -%}
    {%- set health = existing_model_relation('fct_account_health') -%}
    {%- set stored = run_query(
        'select min(_seeds_hash), max(_seeds_hash), max(_inputs_loaded_at), (select ' ~ health_seeds_hash() ~ ') from ' ~ health
    ).rows[0] -%}
    {%- if stored[0] != stored[3] or stored[1] != stored[3] -%}
        {{ return({'mode': 'full', 'reason': 'health seeds changed', 'watermark': none}) }}
    {%- endif -%}
    {%- set replay = cta_ledger_replay_reason() -%}
    {%- if replay is not none -%}
        {{ return({'mode': 'full', 'reason': 'CTA ledger replay (' ~ replay ~ ')', 'watermark': none}) }}
    {%- endif -%}
    {{ return({'mode': 'incremental', 'reason': 'daily', 'watermark': stored[2]}) }}
{%- endmacro %}

{#- dbt records a model's dependencies while parsing, when health_history_state() does not
    query anything yet: a model that calls it names what it reads at run time here. -#}
{% macro health_history_depends_on() -%}
    -- depends_on: {{ ref('stg_usage__daily') }}
    {%- for seed in health_seeds() %}
    -- depends_on: {{ ref(seed) }}
    {%- endfor %}
    {%- for spec in health_input_sources() %}
    -- depends_on: {{ source(spec.source, spec.table) }}
    {%- endfor %}
{%- endmacro %}

{#- The run a CTA is raised in (raised_in_run_id): the Dagster run (meta.run_context), or
    this dbt invocation when dbt runs on its own. -#}
{% macro raising_run_id() -%}
    coalesce((select max(run_id) from {{ run_context_relation() }}), '{{ invocation_id }}')
{%- endmacro %}

{#- Hooks of int_cta_ledger, inside its transaction: a replay starts from an empty ledger;
    every build records the dates it evaluated (a recheck date was recorded before). -#}
{% macro cta_ledger_before_build() -%}
    {%- if execute and cta_ledger_replay_reason() is not none and is_incremental() -%}
        {{ delete_all_rows(this) }}
    {%- endif -%}
{%- endmacro %}

{#- (two hooks, one statement each: Spark's session runs one statement per call) -#}
{% macro cta_ledger_clear_evaluations() -%}
    {%- if execute and cta_ledger_replay_reason() is not none -%}
        {{ delete_all_rows(cta_evaluations_relation()) }}
    {%- endif -%}
{%- endmacro %}

{% macro cta_ledger_after_build() -%}
    {%- if execute %}
        insert into {{ cta_evaluations_relation() }}
        select snapshot_date, (select {{ as_of_date() }}), ({{ raising_run_id() }}), {{ build_started_at() }}
        from {{ ref('int_cta_evaluation_dates') }}
        where not is_recheck
    {%- endif -%}
{%- endmacro %}

{#- The rows of this history model's previous build that the batch leaves in place: those whose
    (account_id, snapshot_date) is not in the model's CTE `batch` (int_snapshot_batch). -#}
{% macro stored_outside_batch(alias='stored') -%}
    {{ this }} as {{ alias }}
    where not exists (
        select 1
        from batch
        where
            batch.account_id = {{ alias }}.account_id
            and batch.snapshot_date = {{ alias }}.snapshot_date
    )
{%- endmacro %}
