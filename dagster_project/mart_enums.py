"""The contract's mart enums that no seed holds (CONTRACT sections 3 and 6), in one place.

Where a value list has a seed, the seed is its only home (``dbt/seeds``: segments, health
tiers, dimensions and metrics, CTA types, lifecycle and adoption stages, playbooks): the
quality suites read it from the warehouse's ``seeds`` schema and the pages from the serving
copy. The landing zone's allowed values live in ``sources.py`` (CTA outcomes among them).
What is left are the few enums the contract fixes on the marts themselves; the quality
suites and the pages import them from here. Light on purpose: the Streamlit pages import it.
"""

from __future__ import annotations

# fct_cta_candidates.direction (and the cta_rules seed's direction column, checked through
# marts.dim_playbooks).
CTA_DIRECTIONS: tuple[str, ...] = ("offense", "defense")
# fct_cta_candidates.priority, most urgent first (the pages sort by this order).
CTA_PRIORITIES: tuple[str, ...] = ("high", "medium", "low")
# fct_cta_candidates.status (sections 6 and 11), in the order the CTA queue offers them.
# Their Japanese labels live in seed code_labels (code_kind cta_status), like every label.
CTA_STATUSES: tuple[str, ...] = ("open", "snoozed", "done", "dismissed", "expired", "resolved")
# fct_account_events.event_type: the contract events of the account-events mart (its dbt
# description defines each one).
ACCOUNT_EVENT_TYPES: tuple[str, ...] = (
    "contract_start",
    "renewal",
    "reactivation",
    "churn",
    "expansion",
    "contraction",
)
