-- The active accounts at the dates this build evaluates the CTA rules at
-- (int_cta_evaluation_dates): the rule-family models int_cta_signals_<family> read these,
-- so a daily build evaluates the new dates only.

select account_snapshots.*
from {{ ref('int_account_snapshots') }} as account_snapshots
inner join {{ ref('int_cta_evaluation_dates') }} as evaluation_dates
    on account_snapshots.snapshot_date = evaluation_dates.snapshot_date
