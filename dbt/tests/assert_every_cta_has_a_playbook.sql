-- Every CTA is routed: its playbook exists and is the one for its type and the account's
-- segment at triggered_on; csm-owned CTAs of accounts with a CSM name that CSM.
-- Reported in Dagster as a check on the model it guards (it reads several).
{{ config(meta={'dagster': {'ref': {'name': 'fct_cta_candidates'}}}) }}

with

ctas as (
    select * from {{ ref('fct_cta_candidates') }}
),

playbooks as (
    select * from {{ ref('dim_playbooks') }}
),

snapshots as (
    select * from {{ ref('int_account_snapshots') }}
)

select
    ctas.cta_id,
    ctas.cta_type,
    ctas.segment,
    ctas.playbook_id,
    ctas.owner
from ctas
left join playbooks
    on ctas.playbook_id = playbooks.playbook_id
left join snapshots
    on
        ctas.account_id = snapshots.account_id
        and ctas.triggered_on = snapshots.snapshot_date
where
    playbooks.playbook_id is null
    or playbooks.cta_type <> ctas.cta_type
    or playbooks.segment <> snapshots.segment
    or ctas.due_on is null
    or (
        playbooks.owner_role = 'csm'
        and snapshots.csm_owner is not null
        and ctas.owner is distinct from snapshots.csm_owner
    )
