-- NPS answers at their natural grain; unmatched answers are kept with a null account.
with

responses as (
    select * from {{ ref('stg_nps__responses') }}
),

accounts as (
    select * from {{ ref('int_accounts') }}
),


final as (
    select
        responses.response_id,
        responses.account_id,
        responses.account_id is not null as is_matched,
        accounts.segment,
        responses.contact_id,
        responses.person_key,
        responses.sent_at,
        responses.responded_at,
        responses.responded_on,
        cast({{ dbt.date_trunc('month', 'responses.responded_on') }} as date) as response_month,
        responses.score,
        case
            when responses.score >= {{ var('nps_promoter_min_score', 9) }} then 'promoter'
            when responses.score <= {{ var('nps_detractor_max_score', 6) }} then 'detractor'
            else 'passive'
        end as nps_category,
        responses.comment
    from responses
    left join accounts
        on responses.account_id = accounts.account_id
)

select * from final
