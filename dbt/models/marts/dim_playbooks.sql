-- One row per playbook (cta_type x segment), from the playbooks seed, with the rule's
-- direction and priority so a reader sees the whole routing in one place.

with

playbooks as (
    select * from {{ ref('playbooks') }}
),

rules as (
    select * from {{ ref('cta_rules') }}
),

final as (
    select
        playbooks.playbook_id,
        playbooks.cta_type,
        playbooks.segment,
        playbooks.owner_role,
        playbooks.channel,
        playbooks.sla_days,
        playbooks.action,
        rules.direction,
        rules.priority,
        playbooks.channel in ('automated_email', 'in_app') as is_automated
    from playbooks
    left join rules
        on playbooks.cta_type = rules.cta_type
)

select * from final
