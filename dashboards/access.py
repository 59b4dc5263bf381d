"""What each role may record, and the guarded writes the pages call.

Who may open a page is navigation.py's ``roles``; what a signed-in user may write is the table
below, enforced here at write time (a page hides a form the user may not use, but the write
refuses too). A csm's book of business is the accounts whose ``csm_owner`` in
``marts.dim_accounts`` is their user name. ``recorded_by`` / ``set_by`` is always the
signed-in user's name: no page asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import serving_data as data

from dagster_project import app_store

ANY, OWN = "any account", "own accounts"


@dataclass(frozen=True)
class Write:
    what: str  # what it does, as the refusal words it ("the csm role may not <what>")
    scopes: dict[str, str]  # role -> ANY or OWN; a role not listed may not do it


# action -> its Write (manager and auditor: read only).
WRITES: dict[str, Write] = {
    "record_outcome": Write("record CTA outcomes", {"cs_ops": ANY, "csm": OWN}),
    "record_pulse": Write("record pulses", {"cs_ops": ANY, "csm": OWN}),
    "record_override": Write("set health overrides", {"cs_ops": ANY, "csm": OWN}),
    "record_opt_out": Write("record opt-outs", {"cs_ops": ANY}),
    "hold_outbox": Write("hold or release messages", {"cs_ops": ANY}),
}


class Person(Protocol):
    name: str
    role: str


class NotAllowed(ValueError):
    """A write the signed-in user's role does not allow (nothing was written)."""


def owner_of(account_id: str | None) -> str | None:
    """The account's csm_owner in the serving copy (None: unknown account or no owner)."""
    if not account_id or "marts.dim_accounts" not in data.tables():
        return None
    if not data.has_column("marts.dim_accounts", "csm_owner"):
        return None
    rows = data.query(
        "select csm_owner from marts.dim_accounts where account_id = ?", (str(account_id),)
    )
    return None if rows.empty else rows.iloc[0, 0]


def account_of_cta(cta_id: str) -> str | None:
    if "marts.fct_cta_candidates" not in data.tables():
        return None
    rows = data.query(
        "select account_id from marts.fct_cta_candidates where cta_id = ?", (str(cta_id),)
    )
    return None if rows.empty else rows.iloc[0, 0]


def own_accounts(user: Person) -> set[str]:
    """The accounts whose csm_owner is the user's name (a csm's book of business)."""
    if "marts.dim_accounts" not in data.tables() or not data.has_column(
        "marts.dim_accounts", "csm_owner"
    ):
        return set()
    rows = data.query("select account_id from marts.dim_accounts where csm_owner = ?", (user.name,))
    return set(rows["account_id"])


def can(user: Person | None, action: str, account_id: str | None = None) -> bool:
    """May ``user`` do ``action`` (on ``account_id``, for account writes)?"""
    if user is None:
        return False
    scope = WRITES[action].scopes.get(user.role)
    if scope == ANY:
        return True
    if scope == OWN:
        owner = owner_of(account_id)
        return owner is not None and owner == user.name
    return False


def may_write(user: Person | None, action: str) -> bool:
    """May ``user`` do ``action`` on some account (whether to show the form at all)?"""
    return user is not None and user.role in WRITES[action].scopes


def check(user: Person | None, action: str, account_id: str | None = None) -> None:
    if can(user, action, account_id):
        return
    if user is None:
        raise NotAllowed("Not allowed: nobody is signed in")
    if WRITES[action].scopes.get(user.role) == OWN:
        owner = owner_of(account_id)
        whose = f"its CSM is {owner}" if owner else "it has no CSM in the serving copy"
        raise NotAllowed(
            f"Not allowed / 権限がありません: {user.name} ({user.role}) may {WRITES[action].what} only "
            f"for their own accounts; account {account_id} is not theirs ({whose})"
        )
    raise NotAllowed(
        f"Not allowed / 権限がありません: the {user.role} role may not {WRITES[action].what}"
    )


def record_outcome(
    user: Person | None,
    cta_id: str,
    outcome: str,
    note: str | None = None,
    *,
    path: Path | str | None = None,
    reason_code: str | None = None,
    snooze_until: date | None = None,
) -> app_store.Outcome:
    check(user, "record_outcome", account_of_cta(cta_id))
    return app_store.record_outcome(
        cta_id,
        outcome,
        user.name,
        note,
        path=path,
        reason_code=reason_code,
        snooze_until=snooze_until,
    )


def record_override(
    user: Person | None,
    account_id: str,
    override_score: int | None,
    reason: str | None,
    expires_on: date | None = None,
    *,
    path: Path | str | None = None,
) -> dict:
    check(user, "record_override", account_id)
    return app_store.record_override(
        account_id, override_score, reason, user.name, expires_on, path=path
    )


def record_pulse(
    user: Person | None,
    account_id: str,
    pulse: int | None,
    note: str | None = None,
    *,
    path: Path | str | None = None,
) -> dict:
    check(user, "record_pulse", account_id)
    return app_store.record_pulse(account_id, pulse, user.name, note, path=path)


def record_opt_out(user: Person | None, email: str, *, path: Path | str | None = None) -> dict:
    check(user, "record_opt_out")
    return app_store.record_opt_out(email, path=path, recorded_by=user.name)
