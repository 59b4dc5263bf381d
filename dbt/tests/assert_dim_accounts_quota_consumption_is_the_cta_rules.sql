-- dim_accounts.quota_consumption is the value the quota CTA rules (quota_80,
-- renewal_low_consumption) compare with their thresholds: wherever this build evaluated a
-- quota rule at D and it fired, its metric_value equals dim_accounts.quota_consumption.
-- Rows returned fail.
{{ config(meta={'dagster': {'ref': {'name': 'dim_accounts'}}}) }}

select
    accounts.account_id,
    accounts.as_of_date,
    accounts.quota_consumption,
    signals.cta_type,
    signals.metric_value
from {{ ref('dim_accounts') }} as accounts
inner join {{ ref('int_cta_signals') }} as signals
    on
        accounts.account_id = signals.account_id
        and accounts.as_of_date = signals.snapshot_date
where
    signals.cta_type in ('quota_80', 'renewal_low_consumption')
    and (
        accounts.quota_consumption is null
        or abs(accounts.quota_consumption - signals.metric_value) > 1e-9
    )
