-- The snapshot dates of this build's batch (int_snapshot_batch), for the models that
-- compute per date before they keep the batch's accounts: one row per date.

select
    snapshot_date,
    max(case when is_history then 1 else 0 end) = 1 as is_history,
    max(case when is_current_snapshot then 1 else 0 end) = 1 as is_current_snapshot,
    max(reference_snapshot_date) as reference_snapshot_date,
    count(*) as accounts
from {{ ref('int_snapshot_batch') }}
group by snapshot_date
