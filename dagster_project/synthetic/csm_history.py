"""What the CSMs did: pulses, overrides and CTA outcomes, drawn from the hidden health.

A demo where nobody ever acted on a CTA shows "CTAs won 0" and empty conversion rates. This
module writes the people's side of the landing zone (contract sections 1 and 11), drawn
from the same hidden world as everything else, so the demo looks lived in:

- ``cs_inputs/pulse_YYYY-QN.csv`` (written by ``generate``): the CSMs of part of the
  high-touch and pooled accounts record a 1..5 pulse every few weeks; the pulse follows the
  account's hidden health (plus the CSM's noise); some CSMs stopped recording months ago,
  so the demo shows pulses older than 90 days (no value: staleness).
- ``cs_inputs/overrides.csv`` (written by ``generate``): a handful of overrides where the
  CSM knows better than the score — a strategic account in a rough patch (up, to its level
  before the drop) or an account whose churn the data does not show yet (down). Some expired
  long ago (history), some apply at the demo's D, some expire within 14 days of it.
- ``cta_actions/outcomes_crm_export.csv`` (written by :func:`write_outcomes`, the demo's
  second phase): outcomes for the CTAs the pipeline's first run raised. CTA ids are made by
  the pipeline's rules (md5 of account, type and snapshot date), so the generator cannot
  know them beforehand: the demo runs the pipeline once, reads the ledger from the serving
  copy, writes the outcomes, and runs again (:mod:`.demo`). The truth behind each outcome
  (did the account expand or churn after the CTA?) comes from the world regenerated from
  the seed, not from the marts.

Deterministic: each part draws from its own child of the seed's SeedSequence (indices 10
11, 12 and 13, after the ten streams of ``generate``, which are unchanged), so the same seed (and,
for outcomes, the same ledger) gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from dagster_project.seeds import read_seed

from . import vocab
from .crm import Contacts, email_variant
from .io import contract_header, dates, timestamps, write_csv
from .world import HIGH, POOLED, PRE, World

# children of SeedSequence(seed) beyond the ten generate() spawns for its own streams
PULSE_STREAM = 10
OVERRIDE_STREAM = 11
OUTCOME_STREAM = 12
OPT_OUT_STREAM = 13

PULSE_SHARE = {HIGH: 0.75, POOLED: 0.6}  # of the accounts with a named CSM
PULSE_PROGRAM_DAYS = 365  # pulses are recorded for the last year before the end date
PULSE_STALE_SHARE = 0.2  # CSMs who stopped recording 95-200 days before the end date
OUTCOMES_FILE = "outcomes_crm_export.csv"


def stream(seed: int, index: int) -> np.random.Generator:
    """The RNG of one part: child ``index`` of the seed's SeedSequence."""
    return np.random.default_rng(np.random.SeedSequence(seed).spawn(index + 1)[index])


def _business_day(day: np.ndarray, start_weekday: int) -> np.ndarray:
    """Saturdays back to Friday, Sundays back to Friday (never past the day given)."""
    wd = (start_weekday + day) % 7
    return day - (wd == 5) - 2 * (wd == 6)


def _next_business_day(day: int, start_weekday: int, last: int) -> int:
    """Saturdays and Sundays on to Monday, but not past ``last`` (D)."""
    wd = (start_weekday + day) % 7
    return min(day + (2 if wd == 5 else 1 if wd == 6 else 0), max(day, last))


# --- pulses ---------------------------------------------------------------------------------


def write_pulses(w: World, rng: np.random.Generator, out: Path) -> int:
    """CSM pulses for part of the accounts with a named CSM; one file per calendar quarter."""
    last = w.days - 1
    accts: list[int] = []
    days: list[int] = []
    for a in range(w.n):
        seg = int(w.segment[a])
        share = PULSE_SHARE.get(seg)
        draw = rng.random(3)
        if share is None or w.csm[a] is None or draw[0] >= share:
            continue
        cadence = 14 + int(draw[1] * 29)  # every 2-6 weeks
        stop = last - (95 + int(draw[2] * 106)) if rng.random() < PULSE_STALE_SHARE else last
        d = last - PULSE_PROGRAM_DAYS + int(rng.integers(0, cadence))
        while d <= stop:
            if d >= 0 and w.active[a, d + PRE]:
                accts.append(a)
                days.append(d)
            d += cadence + int(rng.integers(-4, 5))
    acct = np.array(accts, dtype=np.int64)
    day = np.clip(_business_day(np.array(days, dtype=np.int64), w.start.weekday()), 0, last)
    h = w.health[acct, day + PRE].astype(np.float64)
    # the CSM reads the hidden health well, with some noise and a slight optimism
    pulse = np.clip(np.rint(1 + 4 * h + 0.15 + rng.normal(0, 0.55, len(acct))), 1, 5)
    pulse = pulse.astype(np.int64)
    has_note = rng.random(len(acct)) < 0.4
    note_pick = rng.integers(0, 1_000, len(acct))
    sec = rng.integers(9 * 3600, 19 * 3600, len(acct))
    order = np.lexsort((acct, sec, day))
    ts = timestamps(w.start, day[order], sec[order])
    header = contract_header("cs_inputs__pulse")
    by_quarter: dict[str, list[tuple]] = {}
    for j, i in enumerate(order):
        a, p = int(acct[i]), int(pulse[i])
        notes = vocab.PULSE_NOTES[p]
        note = notes[int(note_pick[i]) % len(notes)] if has_note[i] else None
        when = w.day(int(day[i]))
        quarter = f"{when.year}-Q{(when.month - 1) // 3 + 1}"
        row = {
            "pulse_id": f"PU{j + 1:07d}",
            "account_id": w.account_id[a],
            "recorded_at": ts[j],
            "recorded_by": w.csm[a],
            "pulse": p,
            "note": note,
        }
        by_quarter.setdefault(quarter, []).append(tuple(row[c] for c in header))
    if not by_quarter:  # a tiny zone still gets a (header-only) delivery
        by_quarter[f"{w.end.year}-Q{(w.end.month - 1) // 3 + 1}"] = []
    # exported from the CRM as Japanese Excel saves it: UTF-8 with BOM, CRLF
    return sum(
        write_csv(
            out / "cs_inputs" / f"pulse_{q}.csv", header, rows, encoding="utf-8-sig", crlf=True
        )
        for q, rows in sorted(by_quarter.items())
    )


# --- overrides ------------------------------------------------------------------------------


def write_overrides(w: World, rng: np.random.Generator, out: Path) -> int:
    """A handful of overrides (about 1.2% of the accounts, at least 3): expired, applying
    at the end date, and expiring within 14 days of it."""
    last = w.days - 1
    want = max(3, round(w.n * 0.012))
    # the three states, in turn: expired (history), applying, expiring within 14 days
    states = [("expired", "active", "expiring")[i % 3] for i in range(want)]
    owned = [a for a in range(w.n) if w.csm[a] is not None and w.segment[a] in (HIGH, POOLED)]
    # strategic accounts first: high touch, then pooled; a seeded shuffle within each
    rank = rng.random(w.n)
    owned.sort(key=lambda a: (w.segment[a] != HIGH, rank[a]))
    rows: list[tuple[int, int, int, int | None, str]] = []  # acct, set_day, score, exp, reason
    used: set[int] = set()
    for state in states:
        for a in owned:
            if a in used:
                continue
            if state == "expired":
                set_day = last - int(rng.integers(200, 400))
                expires = set_day + int(rng.integers(60, 151))
            elif state == "active":
                set_day = last - int(rng.integers(20, 70))
                expires = None if rng.random() < 0.5 else set_day + int(rng.integers(100, 181))
            else:
                expires = last + int(rng.integers(1, 15))
                set_day = expires - int(rng.integers(60, 150))
            if set_day < 0 or not w.active[a, set_day + PRE]:
                continue
            score, reason = _override_view(w, a, set_day, rng)
            if score is None:
                continue
            used.add(a)
            rows.append((a, set_day, score, expires, reason))
            break
    rows.sort(key=lambda r: (r[1], r[0]))
    sec = rng.integers(9 * 3600, 19 * 3600, len(rows))
    set_days = np.array([r[1] for r in rows], dtype=np.int64)
    set_days = np.clip(_business_day(set_days, w.start.weekday()), 0, last)
    ts = timestamps(w.start, set_days, sec)
    header = contract_header("cs_inputs__overrides")

    def records():
        for j, (a, _, score, expires, reason) in enumerate(rows):
            row = {
                "override_id": f"OV{j + 1:06d}",
                "account_id": w.account_id[a],
                "set_at": ts[j],
                "set_by": w.csm[a],
                "override_score": score,
                "reason": reason,
                "expires_on": None if expires is None else dates(w.start, np.array([expires]))[0],
            }
            yield tuple(row[c] for c in header)

    return write_csv(out / "cs_inputs" / "overrides.csv", header, records())


def _override_view(
    w: World, a: int, set_day: int, rng: np.random.Generator
) -> tuple[int | None, str]:
    """The CSM's score at ``set_day``: the level before a recent drop (up) when the account
    is in a rough patch, or a low score when it churns later (down); None: nothing to say."""
    t = set_day + PRE
    now = float(w.health[a, max(t - 14, 0) : t + 1].mean())
    before = float(w.health[a, max(t - 180, 0) : max(t - 60, 1)].mean())
    churns = 0 <= w.churn_day[a] - set_day <= 240
    if churns and now > 0.35:
        return int(rng.integers(20, 36)), _pick(vocab.OVERRIDE_REASONS_DOWN, rng)
    if before - now > 0.08:
        score = int(np.clip(round(100 * before), 55, 85))
        return score, _pick(vocab.OVERRIDE_REASONS_UP, rng)
    return None, ""


def _pick(options: Sequence[str], rng: np.random.Generator) -> str:
    return options[int(rng.integers(0, len(options)))]


# --- opt-outs ------------------------------------------------------------------------------


def write_opt_outs(w: World, contacts: Contacts, rng: np.random.Generator, out: Path) -> int:
    """About 1.5% of the contacts asked for no automated e-mail (an unsubscribe link, a
    request to the CSM); e-mails as the people typed them (case and spaces vary)."""
    pick = np.flatnonzero(rng.random(len(contacts.email)) < 0.015)
    _, first = np.unique(np.array(contacts.email, dtype=object)[pick], return_index=True)
    pick = pick[np.sort(first)]  # one row per person (an e-mail may sit on two contacts)
    day = rng.integers(0, w.days, len(pick))
    sec = rng.integers(0, 86_400, len(pick))
    order = np.lexsort((pick, sec, day))
    ts = timestamps(w.start, day[order], sec[order])
    emails = email_variant(rng, [contacts.email[int(pick[i])] for i in order], 0.2, 0.1)
    header = contract_header("cs_inputs__opt_outs")
    rows = (
        tuple({"email": e, "opted_out_at": t}[c] for c in header)
        for e, t in zip(emails, ts, strict=True)
    )
    return write_csv(out / "cs_inputs" / "opt_outs.csv", header, rows)


# --- CTA outcomes (the demo's second phase) ---------------------------------------------------


@dataclass(frozen=True)
class Cta:
    """A CTA of the pipeline's ledger (marts.fct_cta_candidates), as the CSM saw it."""

    cta_id: str
    account_id: str
    cta_type: str
    direction: str
    triggered_on: date
    owner: str | None
    owner_role: str


# How often someone acts on a CTA at all, by the playbook's owner role (others: 0.8).
TOUCH_RATE = {"csm": 0.9, "sales": 0.85, "inside_sales": 0.8, "marketing_automation": 0.5}
# Which close reasons people pick, by (direction, outcome); a code not listed weighs 1.
REASON_WEIGHTS = {
    ("defense", "lost"): {"competitor": 3, "budget_cut": 3, "no_champion": 3, "company_change": 2},
    ("offense", "lost"): {"budget_cut": 4, "product_gap": 2, "competitor": 2},
    ("defense", "dismissed"): {"already_handled": 4, "false_positive": 3, "not_relevant": 2},
    ("offense", "dismissed"): {"not_relevant": 4, "false_positive": 3, "already_handled": 2},
}


def read_ledger(serving: Path) -> tuple[list[Cta], date, dict[str, str]]:
    """The CTAs of the serving copy's ledger, D of the run that raised the latest ones, and
    the accounts' names (to check the serving copy comes from the world regenerated)."""
    import duckdb

    con = duckdb.connect(str(serving), read_only=True)
    try:
        rows = con.execute(
            "select cta_id, account_id, cta_type, direction, triggered_on, owner, owner_role, "
            "raised_as_of from marts.fct_cta_candidates order by triggered_on, cta_id"
        ).fetchall()
        names = dict(
            con.execute("select account_id, account_name from marts.dim_accounts").fetchall()
        )
    finally:
        con.close()
    ctas = [Cta(*r[:7]) for r in rows]
    as_of = max((r[7] for r in rows), default=None)
    if as_of is None:
        raise ValueError(f"{serving}: the CTA ledger is empty; nothing to record outcomes for")
    return ctas, as_of, names


def check_world(w: World, names: dict[str, str], serving: Path) -> None:
    """The serving copy must come from this world (same accounts, seed and window)."""
    mine = dict(zip(w.account_id, w.account_name, strict=True))
    if names != mine:
        raise ValueError(
            f"{serving} was not built from this generation: pass the --accounts, --seed, "
            "--start and --end the landing zone was generated with"
        )


def _expansion_days(w: World) -> dict[int, list[int]]:
    """Days each account expanded: an amendment adding ARR, or a renewal starting above the
    previous contract's ARR with its amendments (calibration's reading 30)."""
    out: dict[int, list[int]] = {}
    added: dict[str, int] = {}
    for ch in w.changes:
        added[ch.contract_id] = added.get(ch.contract_id, 0) + ch.delta_arr_jpy
        if ch.delta_arr_jpy > 0:
            out.setdefault(ch.acct, []).append(ch.day)
    by_acct: dict[int, list] = {}
    for c in w.contracts:
        by_acct.setdefault(c.acct, []).append(c)
    for a, cs in by_acct.items():
        cs.sort(key=lambda c: c.start)
        for prev, nxt in zip(cs, cs[1:], strict=False):
            if 0 <= nxt.start - prev.end <= 31 and nxt.arr_jpy > prev.arr_jpy + added.get(
                prev.contract_id, 0
            ):
                out.setdefault(a, []).append(nxt.start)
    return {a: sorted(d) for a, d in out.items()}


def _reason(
    direction: str, outcome: str, codes: dict[str, list[str]], rng: np.random.Generator
) -> str:
    """A close reason of seed close_reasons for the outcome, weighted as people pick them."""
    options = codes[outcome]
    weights = REASON_WEIGHTS.get((direction, outcome), {})
    p = np.array([weights.get(c, 1) for c in options], dtype=np.float64)
    return options[int(rng.choice(len(options), p=p / p.sum()))]


def write_outcomes(w: World, ctas: Sequence[Cta], as_of: date, seed: int, out: Path) -> int:
    """Outcomes for the CTAs of a first run, recorded between each CTA's triggered_on and D.

    Most CTAs get a touch (contacted) and some a final outcome: offense CTAs are won far
    more often where the account expanded within 180 days after the CTA (up to D), defense
    CTAs are lost (with a reason) where the account churned and won where its hidden health
    recovered; a few are dismissed (with a reason), some get no response, recent ones are
    snoozed (some still snoozed at D); older ones were sometimes snoozed first. About a
    quarter stay untouched (open or expired)."""
    rng = stream(seed, OUTCOME_STREAM)
    close = read_seed("close_reasons")
    codes: dict[str, list[str]] = {}
    for row in sorted(close, key=lambda r: int(r["sort_order"] or 0)):
        codes.setdefault(str(row["outcome"]), []).append(str(row["reason_code"]))
    index = {aid: i for i, aid in enumerate(w.account_id)}
    expansions = _expansion_days(w)
    dd = (as_of - w.start).days
    pooled = w.csm_pooled
    wd0 = w.start.weekday()
    events: list[tuple[int, str, int, str, str | None, int | None, str, str | None]] = []
    for k, cta in enumerate(sorted(ctas, key=lambda c: (c.triggered_on, c.cta_id))):
        a = index[cta.account_id]
        t = (cta.triggered_on - w.start).days
        age = dd - t
        u = rng.random(3)  # touched?, final outcome, snoozed first?
        p_touch = TOUCH_RATE.get(cta.owner_role, 0.8) * (0.3 if age < 3 else 0.7 if age < 10 else 1)
        if age < 0 or u[0] >= p_touch:
            continue
        who = cta.owner or pooled[(a + k) % len(pooled)]
        t1 = t + min(age, int(rng.geometric(0.25)) - 1)
        h0, h1 = w.h(a, t), w.h(a, min(t + 60, dd))
        exp_day = next((d for d in expansions.get(a, []) if t < d <= min(t + 180, dd)), None)
        churned = t < int(w.churn_day[a]) <= t + 180
        if cta.direction == "offense":
            p_won = 0.08 + (0.5 if exp_day is not None else 0)
            p_lost = 0.1 + (0.15 if h0 < 0.4 else 0)
        else:
            p_won = 0.0 if churned else (0.3 if h1 - h0 > 0.05 else 0.06)
            p_lost = 0.55 if churned else 0.06
        p_no = 0.12 + (0.1 if cta.owner_role == "marketing_automation" else 0)
        p_snooze = 0.12 if age <= 45 else 0
        cut = np.cumsum([p_snooze, 0.08, p_won, p_lost, p_no])
        final = ("snoozed", "dismissed", "won", "lost", "no_response", "contacted")[
            int(np.searchsorted(cut, u[1], side="right"))
        ]
        rows: list[tuple[int, str, int | None]] = []  # day, outcome, snooze_until
        if final in ("snoozed", "dismissed"):
            until = t1 + int(rng.integers(7, 46)) if final == "snoozed" else None
            rows.append((t1, final, until))
        else:
            if age > 60 and u[2] < 0.1:  # snoozed first, picked up again when it ended
                back = t1 + int(rng.integers(14, 31))
                if back <= dd:
                    rows.append((t1, "snoozed", back))
                    t1 = back
            rows.append((t1, "contacted", None))
            if final == "won":
                day = exp_day if exp_day is not None else t1 + int(rng.integers(7, 61))
            elif final == "lost" and churned:
                day = int(w.churn_day[a]) - int(rng.integers(20, 91))
            else:
                day = t1 + int(rng.integers(3, 41))
            if final != "contacted":
                rows.append((min(max(day, t1), dd), final, None))
        sec, prev_day = 0, -1
        for day0, outcome, until in rows:
            day = _next_business_day(day0, wd0, dd)
            sec = (
                sec + int(rng.integers(600, 3600))
                if day == prev_day
                else 9 * 3600 + int(rng.integers(0, 9 * 3600))
            )
            prev_day = day
            reason = (
                _reason(cta.direction, outcome, codes, rng)
                if outcome in ("lost", "dismissed")
                else None
            )
            notes = vocab.OUTCOME_NOTES[outcome]
            note = notes[int(rng.integers(0, len(notes)))] if rng.random() < 0.35 else None
            events.append((day, cta.cta_id, min(sec, 86_399), outcome, reason, until, who, note))
    events.sort(key=lambda e: (e[0], e[2], e[1]))
    header = contract_header("cta_actions__outcomes")
    day_arr = np.array([e[0] for e in events], dtype=np.int64)
    ts = timestamps(w.start, day_arr, np.array([e[2] for e in events], dtype=np.int64))
    until_arr = np.array([e[5] if e[5] is not None else 0 for e in events], dtype=np.int64)
    until_txt = dates(w.start, until_arr)

    def records():
        for j, (_, cta_id, _, outcome, reason, until, who, note) in enumerate(events):
            row = {
                "cta_id": cta_id,
                "recorded_at": ts[j],
                "recorded_by": who,
                "outcome": outcome,
                "note": note,
                "reason_code": reason,
                "snooze_until": until_txt[j] if until is not None else None,
            }
            yield tuple(row[c] for c in header)

    return write_csv(out / "cta_actions" / OUTCOMES_FILE, header, records())


def write_history_for(
    out: Path,
    serving: Path,
    accounts: int = 1000,
    seed: int = 42,
    start: date | None = None,
    end: date | None = None,
) -> int:
    """The demo's second phase: outcomes for the CTAs the serving copy's ledger holds,
    written into the landing zone ``out`` that ``generate`` wrote with the same arguments.
    Refuses to write twice (a delivered file is never edited)."""
    from .generator import hidden_world

    target = Path(out) / "cta_actions" / OUTCOMES_FILE
    if target.exists():
        raise FileExistsError(f"{target} exists; the CSM history was already written")
    w = hidden_world(accounts, seed, start, end)
    ctas, as_of, names = read_ledger(Path(serving))
    check_world(w, names, Path(serving))
    return write_outcomes(w, ctas, as_of, seed, Path(out))
