"""`cswh generate`: a realistic, deterministic synthetic landing zone.

Each account has a hidden true health (a mean-reverting random walk in logit space with
occasional shocks; half of the drops are lasting and heal only over months) that drives
everything observable: ID issuance and logins, daily usage
intensity and feature mix (mobile, core actions, advanced features), CSM touches and
decision-maker meetings, seminar attendance, tickets (more and more urgent when health is
low, bursts after a sharp drop), NPS scores, success-plan attainment, renewals versus churn
at contract end (low health churns at 40-65%, healthy at ~5%) and expansions (seat_add,
upgrade, cross_sell; larger renewals), which are preceded by seat pressure (IDs up to the
seats), shared IDs (devices >= 3), bursts of export/share, an API integration switched on,
white-paper / pricing-page interest and trials. Same seed -> byte-identical files (no wall
clock anywhere; fixed Parquet writer settings; one RNG stream per component and per day).

Scale: about 16-18 usage rows per account and day on average (~9M rows for 1,000 accounts
over the default 18 months, ~95M for 10,000); usage is drawn and written one day at a time,
vectorised over all users, so memory stays bounded (~0.5 GB at 10,000 accounts).

Layout written under ``out`` (globs of ``dagster_project.sources``)::

    crm/accounts.csv            CP932 + CRLF (as Japanese Excel writes it)
    crm/contacts.csv            UTF-8 with BOM + CRLF
    crm/contracts.csv, crm/contract_changes.csv, crm/activities.csv
    crm/success_plans.csv       UTF-8, multi-line quoted objectives
    marketing/leads.csv
    marketing/engagements_YYYY-MM.jsonl          occurred_at ISO 8601 +09:00
    seminars/seminars_YYYY-MM.jsonl              nested registrations
    support/tickets_YYYY-MM.jsonl                incremental export, timestamps in UTC (+00:00)
    nps/responses_YYYY-QN.csv                    UTF-8 with BOM + CRLF, comments with , and \\n
    usage/users.parquet
    usage/daily/YYYY/MM/usage_YYYY-MM-DD.parquet one file per day
    cta_actions/outcomes.csv                     header only
    cs_inputs/pulse_YYYY-QN.csv                  CSM pulses (csm_history.py), BOM + CRLF
    cs_inputs/overrides.csv                      a handful of health overrides
    cs_inputs/opt_outs.csv                       ~1.5% of the contacts: no automated e-mail

The CTA outcomes of the demo's history need the ids the pipeline gives its CTAs, so they
are written after a first run (csm_history.write_history_for, demo.py).

Quirks on purpose: e-mails in other sources (and a few in the CRM) are Capitalised,
UPPER-CASE or padded with spaces; some leads, engagements, seminar registrants, ticket
requesters and NPS respondents are not CRM contacts; one e-mail belongs to contacts of two
accounts; ``account_id`` is often empty where the contract allows it; one seminar has no
registrations; ~2% of closed tickets have no solved_at.

Defects injected (deterministic; for the quarantine), at most these seven rows:

- nps/responses_*.csv: three rows in the first wave with score ``11``, an empty score and
  ``-1``.
- marketing/leads.csv: two leads with created_at ``2025-02-30 10:00:00`` and ``不明``.
- support/tickets_*.jsonl: one ticket version (second month's file) with priority ``緊急``.
- seminars/seminars_*.jsonl: one registration (first month) with attended_minutes ``-5``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from . import crm, csm_history, events, usage
from .io import contract_header, write_csv
from .world import World, build_world

DEFAULT_END = date(2026, 10, 31)
DEFAULT_START = date(2025, 5, 1)


def _noop(_: str) -> None:
    pass


def generate(
    out: Path,
    accounts: int = 1000,
    seed: int = 42,
    start: date | None = None,
    end: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write a synthetic landing zone under ``out``; return rows written per raw table.

    ``out`` must not already hold a landing zone (no silent mixing of two generations).
    """
    out = Path(out)
    say = progress or _noop
    start, end = window(start, end)
    if accounts < 1:
        raise ValueError("accounts must be >= 1")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; remove it or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    ss = np.random.SeedSequence(seed)
    _r_world, r_users, r_contacts, r_crm, r_leads, r_eng, r_sem, r_tix, r_nps, r_sp = (
        np.random.default_rng(s) for s in ss.spawn(10)
    )
    w = hidden_world(accounts, seed, start, end)  # stream 0 of the ten
    churned = sum(c.status == "churned" for c in w.contracts)
    renewed = sum(c.status == "renewed" for c in w.contracts)
    segs = events.segment_counts(w)
    say(
        f"world: {accounts} accounts ({', '.join(f'{n} {s}' for s, n in segs.items())}), "
        f"{len(w.contracts)} contracts ({renewed} renewed, {churned} churned), "
        f"{len(w.changes)} contract changes, {start}..{end}"
    )
    rows: dict[str, int] = {}
    contacts = crm.build_contacts(w, r_contacts)
    rows["crm__accounts"] = crm.write_accounts(w, out)
    rows["crm__contacts"] = crm.write_contacts(w, contacts, out)
    rows["crm__contracts"], rows["crm__contract_changes"] = crm.write_contracts(w, out)
    rows["crm__activities"] = crm.write_activities(w, contacts, r_crm, out)
    rows["crm__success_plans"] = crm.write_success_plans(w, r_sp, out)
    say(f"crm: {rows['crm__contacts']} contacts, {rows['crm__activities']} activities")
    rows["marketing__leads"], unknown = events.write_leads(w, contacts, r_leads, out)
    rows["marketing__engagements"] = events.write_engagements(w, contacts, unknown, r_eng, out)
    say(
        f"marketing: {rows['marketing__leads']} leads, {rows['marketing__engagements']} engagements"
    )
    rows["seminars__registrations"] = events.write_seminars(w, contacts, unknown, r_sem, out)
    rows["support__tickets"] = events.write_tickets(w, contacts, r_tix, out)
    rows["nps__responses"] = events.write_nps(w, contacts, r_nps, out)
    say(
        f"seminars: {rows['seminars__registrations']} registrations; tickets: "
        f"{rows['support__tickets']} versions; nps: {rows['nps__responses']} responses"
    )
    users = usage.simulate_users(w, r_users)
    rows["usage__users"] = usage.write_users(w, users, out)
    say(f"usage: {rows['usage__users']} user IDs")
    rows["usage__daily"] = usage.write_daily(w, users, out, seed, say)
    rows["cta_actions__outcomes"] = write_csv(
        out / "cta_actions" / "outcomes.csv",
        contract_header("cta_actions__outcomes"),
        [],
    )
    rows["cs_inputs__pulse"] = csm_history.write_pulses(
        w, csm_history.stream(seed, csm_history.PULSE_STREAM), out
    )
    rows["cs_inputs__overrides"] = csm_history.write_overrides(
        w, csm_history.stream(seed, csm_history.OVERRIDE_STREAM), out
    )
    rows["cs_inputs__opt_outs"] = csm_history.write_opt_outs(
        w, contacts, csm_history.stream(seed, csm_history.OPT_OUT_STREAM), out
    )
    say(
        f"cs inputs: {rows['cs_inputs__pulse']} CSM pulses, "
        f"{rows['cs_inputs__overrides']} overrides, {rows['cs_inputs__opt_outs']} opt-outs"
    )
    say(f"done: {sum(rows.values()):,} rows in {time.perf_counter() - t0:.1f}s")
    return rows


def window(start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The generated history's first and last day (defaults: the demo's 18 months)."""
    end = end or DEFAULT_END
    if start is None:
        start = DEFAULT_START if end == DEFAULT_END else _months_before(end, 18)
    if start >= end:
        raise ValueError(f"start {start} must be before end {end}")
    return start, end


def hidden_world(
    accounts: int, seed: int, start: date | None = None, end: date | None = None
) -> World:
    """The world ``generate`` draws from with these arguments, built again (same stream)."""
    start, end = window(start, end)
    return build_world(
        np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0]), accounts, start, end, seed
    )


def _months_before(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return date(y, m + 1, 1)
