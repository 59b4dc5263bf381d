-- Every code value a published mart column or a seed value list holds has a Japanese and
-- English label in seed code_labels (the one home of labels), and every synonym of seed
-- code_synonyms maps to a labelled code of its own kind. A row returned names the table,
-- the column, the code_kind and the value without a label: add the label to
-- dbt/seeds/code_labels.csv. Free-text source columns (ticket category and channel) are
-- checked, as a warning, by assert_free_text_codes_have_a_label.
-- Reported in Dagster as a check on seed code_labels (it reads many models).
{{ config(meta={'dagster': {'ref': {'name': 'code_labels'}}}) }}

{%- set checks = [
    [ref('health_tiers'), 'tier', 'health_tier'],
    [ref('segments'), 'segment', 'segment'],
    [ref('lifecycle_stages'), 'lifecycle_stage', 'lifecycle_stage'],
    [ref('health_dimensions'), 'dimension', 'health_dimension'],
    [ref('health_metrics'), 'metric', 'health_metric'],
    [ref('override_statuses'), 'status', 'override_status'],
    [ref('adoption_stages'), 'adoption_stage', 'adoption_stage'],
    [ref('cta_rules'), 'cta_type', 'cta_type'],
    [ref('cta_rules'), 'direction', 'cta_direction'],
    [ref('cta_rules'), 'priority', 'cta_priority'],
    [ref('playbooks'), 'owner_role', 'owner_role'],
    [ref('playbooks'), 'channel', 'channel'],
    [ref('close_reasons'), 'reason_code', 'close_reason'],
    [ref('close_reasons'), 'outcome', 'cta_outcome'],
    [ref('fct_account_health'), 'health_tier', 'health_tier'],
    [ref('fct_account_health'), 'segment', 'segment'],
    [ref('fct_account_health'), 'effective_health_tier', 'health_tier'],
    [ref('fct_health_overrides'), 'status', 'override_status'],
    [ref('fct_health_overrides'), 'override_tier', 'health_tier'],
    [ref('fct_health_overrides'), 'segment', 'segment'],
    [ref('fct_health_metrics'), 'dimension', 'health_dimension'],
    [ref('fct_health_metrics'), 'metric', 'health_metric'],
    [ref('dim_accounts'), 'segment', 'segment'],
    [ref('dim_accounts'), 'lifecycle_stage', 'lifecycle_stage'],
    [ref('dim_accounts'), 'adoption_stage', 'adoption_stage'],
    [ref('dim_playbooks'), 'cta_type', 'cta_type'],
    [ref('dim_playbooks'), 'segment', 'segment'],
    [ref('dim_playbooks'), 'owner_role', 'owner_role'],
    [ref('dim_playbooks'), 'channel', 'channel'],
    [ref('dim_playbooks'), 'direction', 'cta_direction'],
    [ref('dim_playbooks'), 'priority', 'cta_priority'],
    [ref('fct_cta_candidates'), 'cta_type', 'cta_type'],
    [ref('fct_cta_candidates'), 'direction', 'cta_direction'],
    [ref('fct_cta_candidates'), 'priority', 'cta_priority'],
    [ref('fct_cta_candidates'), 'owner_role', 'owner_role'],
    [ref('fct_cta_candidates'), 'channel', 'channel'],
    [ref('fct_cta_candidates'), 'status', 'cta_status'],
    [ref('fct_cta_candidates'), 'latest_outcome', 'cta_outcome'],
    [ref('fct_cta_candidates'), 'close_reason_code', 'close_reason'],
    [ref('fct_cta_candidates'), 'segment', 'segment'],
    [ref('fct_cta_candidates'), 'source_kind', 'cta_source_kind'],
    [ref('mart_cta_effectiveness'), 'cta_type', 'cta_type'],
    [ref('mart_cta_effectiveness'), 'direction', 'cta_direction'],
    [ref('mart_cta_close_reasons'), 'cta_type', 'cta_type'],
    [ref('mart_cta_close_reasons'), 'direction', 'cta_direction'],
    [ref('mart_cta_close_reasons'), 'outcome', 'cta_outcome'],
    [ref('mart_cta_close_reasons'), 'reason_code', 'close_reason'],
    [ref('mart_kpi_monthly'), 'segment', 'segment'],
    [ref('mart_arr_movements'), 'segment', 'segment'],
    [ref('mart_health_calibration'), 'health_tier', 'health_tier'],
    [ref('fct_tickets'), 'priority', 'ticket_priority'],
    [ref('fct_tickets'), 'status', 'ticket_status'],
    [ref('fct_tickets'), 'satisfaction', 'ticket_satisfaction'],
    [ref('fct_tickets'), 'segment', 'segment'],
    [ref('fct_nps_responses'), 'nps_category', 'nps_category'],
    [ref('fct_nps_responses'), 'segment', 'segment'],
    [ref('fct_seminar_attendance'), 'category', 'seminar_category'],
    [ref('fct_seminar_attendance'), 'segment', 'segment'],
    [ref('fct_account_events'), 'event_type', 'account_event_type'],
    [ref('fct_account_events'), 'segment', 'segment'],
    [ref('dim_contracts'), 'status', 'contract_status'],
    [ref('dim_contracts'), 'segment', 'segment'],
    [ref('fct_account_timeline'), 'kind', 'timeline_kind'],
    [ref('fct_account_timeline'), 'segment', 'segment'],
    [ref('stg_cs_inputs__pulse'), 'pulse', 'pulse_level']
] %}

with

unlabelled as (
    {{ unlabelled_codes(checks) }}
),

synonyms_to_unknown_codes as (
    select
        'code_synonyms' as relation_name,
        'code' as column_name,
        code_synonyms.code_kind,
        code_synonyms.code
    from {{ ref('code_synonyms') }} as code_synonyms
    left join {{ ref('code_labels') }} as code_labels
        on
            code_synonyms.code_kind = code_labels.code_kind
            and code_synonyms.code = code_labels.code
    where code_labels.code is null
),

final as (
    select * from unlabelled
    union all
    select * from synonyms_to_unknown_codes
)

select * from final
