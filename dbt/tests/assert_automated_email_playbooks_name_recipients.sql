-- A playbook whose channel is automated_email says which of the account's contacts get the
-- mail (recipient_roles, contact roles separated by spaces); the outbox sends to no one else.
-- That each role is a contact role is checked where the roles are known (tests/test_notify.py).

with

playbooks as (
    select * from {{ ref('playbooks') }}
)

select
    playbook_id,
    channel,
    recipient_roles
from playbooks
where
    channel = 'automated_email'
    and (recipient_roles is null or trim(recipient_roles) = '')
