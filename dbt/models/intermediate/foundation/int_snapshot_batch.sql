-- The (account, snapshot date) pairs the health models compute in this build (CONTRACT
-- section 10: history that stays put). A full build (first build, --full-refresh, changed
-- health seeds, a CTA ledger replay: macro health_history_state) computes every pair of the
-- spine. A daily build computes:
--   * every account at the current snapshot D (replaced by each run), at history dates not
--     built yet (a new grid day) and at dates the CTA ledger has yet to evaluate;
--   * the accounts whose inputs changed (int_health_changed_accounts) at every date from
--     the first day touched; a change near the start of the history, or without a day,
--     takes the whole spine;
--   * for each pair above whose 28-day reference snapshot lies before the history (a
--     reference-only spine date, never stored), that reference too, so its score is there.
-- The history models replace exactly these pairs (and drop dates that left the history).
{{ health_history_depends_on() }}
{% set state = health_history_state() %}
{% set health = existing_model_relation('fct_account_health') if state.mode == 'incremental' else none %}

with

spine as (
    select * from {{ ref('int_snapshot_spine') }}
),

accounts as (
    select distinct account_id
    from {{ ref('stg_crm__contracts') }}
),

changed_accounts as (
    select * from {{ ref('int_health_changed_accounts') }}
),

-- read on daily builds only
stored_dates as (  -- noqa: ST03
    {% if health is not none %}
        select distinct snapshot_date from {{ health }}
    {% else %}
        select cast(null as date) as snapshot_date
        where 1 = 0
    {% endif %}
),

bounds as (
    select
        min(snapshot_date) as spine_start,
        min(case when is_history then snapshot_date end) as history_start
    from spine
),

-- dates every account is computed at
full_dates as (
    select spine.snapshot_date
    from spine
    where
        {% if state.mode == 'full' %}
            1 = 1
        {% else %}
            spine.is_history
            and (
                spine.is_current_snapshot
                or spine.snapshot_date not in (select stored_dates.snapshot_date from stored_dates)
                -- dates the CTA ledger has yet to evaluate (a previous build that stopped early)
                or spine.snapshot_date > (select max(evaluations.evaluated_on) from {{ cta_evaluations_relation() }} as evaluations)
            )
        {% endif %}
),

changed_from as (
    -- a change that reaches the oldest history dates also changes their reference scores
    select
        changed_accounts.account_id,
        case
            when
                changed_accounts.changed_from is null
                or changed_accounts.changed_from
                <= {{ add_days('bounds.history_start', health_change_days()) }}
                then bounds.spine_start
            else changed_accounts.changed_from
        end as changed_from
    from changed_accounts
    cross join bounds
),

base_pairs as (
    select
        accounts.account_id,
        full_dates.snapshot_date
    from accounts
    cross join full_dates

    union

    select
        changed_from.account_id,
        spine.snapshot_date
    from changed_from
    inner join spine
        on
            changed_from.changed_from <= spine.snapshot_date
            and spine.is_history
),

pairs as (
    select
        account_id,
        snapshot_date
    from base_pairs

    union

    -- reference-only dates of the pairs above: their scores feed the 28-day change
    select
        base_pairs.account_id,
        spine.reference_snapshot_date as snapshot_date
    from base_pairs
    inner join spine
        on base_pairs.snapshot_date = spine.snapshot_date
    inner join spine as reference
        on spine.reference_snapshot_date = reference.snapshot_date
    where not reference.is_history
),

{% if health_batch_whole_dates() %}
    -- an engine that overwrites whole dates (Spark): every account at each date of the batch
    whole_date_pairs as (
        select
            accounts.account_id,
            batch_dates.snapshot_date
        from accounts
        cross join (select distinct snapshot_date from pairs) as batch_dates
    ),
{% endif %}

final as (
    select
        pairs.account_id,
        pairs.snapshot_date,
        spine.is_history,
        spine.is_grid_day,
        spine.is_current_snapshot,
        spine.reference_snapshot_date
    from {{ 'whole_date_pairs as pairs' if health_batch_whole_dates() else 'pairs' }}
    inner join spine
        on pairs.snapshot_date = spine.snapshot_date
)

select * from final
