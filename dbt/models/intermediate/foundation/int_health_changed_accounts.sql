-- The accounts whose health inputs changed since the previous build of the health history,
-- and the first day touched (CONTRACT section 10: a grid day's rows change only when data
-- inside its windows changes, e.g. a late delivery). One row per account; changed_from =
-- the earliest day a changed record concerns, null = the whole history (a change without a
-- day). Only a record whose content is new counts (macro changed_records): a re-delivered,
-- identical file changes nothing. The sources and how their records map to accounts and
-- days: macro health_input_sources. It reads raw sources because it needs every delivered
-- version of a record, which staging deduplicates away.
{{ health_history_depends_on() }}
{% set state = health_history_state() %}
{% set watermark = "cast('" ~ state.watermark ~ "' as timestamp)" %}
{% set identity = "left join " ~ ref('stg_crm__contact_emails') ~ " as identity on " ~ normalise_email('r.email') ~ " = identity.email" %}

{% if state.mode == 'incremental' %}

with

changed as (
    {% for spec in health_input_sources() %}
        {%- set relation = source(spec.source, spec.table) -%}
        {%- if spec.get('compare', true) %}
            {%- set records = changed_records(relation, spec.key, spec.account, spec.day, watermark, identity if spec.get('identity') else '') %}
            {%- if spec.get('subject') == 'email' %}
    -- a changed contact re-maps its e-mail addresses: every account holding one of them
    select
        holders.account_id,
        cast(null as date) as changed_on
    from {{ relation }} as holders
    where {{ normalise_email('holders.email') }} in (select subject from {{ records }})
            {%- else %}
    select subject as account_id, changed_on from {{ records }}
            {%- endif %}
        {%- else %}
    select
        {{ spec.account }} as account_id,
        min({{ spec.day }}) as changed_on
    from {{ relation }} as r
    where r._loaded_at > {{ watermark }}
    group by 1
        {%- endif %}
    {{ "union all" if not loop.last }}
    {% endfor %}
),

final as (
    select
        account_id,
        -- a change without a day (null) reaches back through the whole history
        case when count(*) > count(changed_on) then cast(null as date) else min(changed_on) end
            as changed_from,
        count(*) as changed_records
    from changed
    where account_id is not null
    group by account_id
)

select * from final

{% else %}

-- {{ state.mode }} build ({{ state.reason }}): every account is recomputed
select
    cast(null as string) as account_id,
    cast(null as date) as changed_from,
    cast(0 as bigint) as changed_records
where 1 = 0

{% endif %}
