-- Help-desk tickets at their natural grain (one row per ticket, its latest version).
with

tickets as (
    select * from {{ ref('stg_support__tickets') }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
),


final as (
    select
        tickets.ticket_id,
        tickets.account_id,
        accounts.segment,
        tickets.requester_person_key,
        tickets.requester_contact_id,
        tickets.subject,
        tickets.channel,
        tickets.category,
        tickets.priority,
        {{ is_high_priority('tickets.priority') }} as is_high_priority,
        tickets.status,
        tickets.solved_on is not null as is_solved,
        tickets.satisfaction,
        tickets.created_at,
        tickets.created_on,
        cast({{ dbt.date_trunc('month', 'tickets.created_on') }} as date) as created_month,
        tickets.updated_at,
        tickets.solved_at,
        tickets.solved_on,
        {{ days_between('tickets.created_on', 'tickets.solved_on') }} as days_to_solve,
        tickets.versions
    from tickets
    left join accounts
        on tickets.account_id = accounts.account_id
)

select * from final
