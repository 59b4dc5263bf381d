"""CRM exports: accounts, contacts, contracts, contract changes, activities, success plans."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import vocab
from .io import contract_header, dates, timestamps, write_csv
from .world import HIGH, POOLED, PRE, TECH, World

ROLES = ("decision_maker", "admin", "champion", "end_user")
DM, ADMIN, CHAMPION, END_USER = range(4)


@dataclass
class Contacts:
    contact_id: list[str]
    acct: np.ndarray
    role: np.ndarray  # index into ROLES
    name: list[str]
    email: list[str]  # canonical (lower case, trimmed)
    email_crm: list[str]  # as typed into the CRM (quirks)
    created_day: np.ndarray
    offset: np.ndarray  # first contact index of each account (contacts grouped by account)
    count: np.ndarray  # contacts per account
    dm: np.ndarray  # a decision maker's contact index per account
    champ: np.ndarray  # the champion (or admin) per account
    synced: np.ndarray  # bool: the MA tool knows the contact's account


def email_variant(
    rng: np.random.Generator, emails: list[str], p_upper: float, p_space: float
) -> list[str]:
    """E-mails as people type them: some Capitalised or UPPER, some with stray spaces."""
    u = rng.random(len(emails))
    out = []
    for e, x in zip(emails, u, strict=True):
        if x < p_upper * 0.6:
            local, _, dom = e.partition("@")
            e = ".".join(p.capitalize() for p in local.split(".")) + "@" + dom
        elif x < p_upper:
            e = e.upper()
        elif x < p_upper + p_space:
            e = f" {e} " if x < p_upper + p_space / 2 else f"{e} "
        out.append(e)
    return out


def build_contacts(w: World, rng: np.random.Generator) -> Contacts:
    n = w.n
    lo = np.select([w.segment == TECH, w.segment == POOLED], [1, 3], 6)
    hi = np.select([w.segment == TECH, w.segment == POOLED], [3, 6], 12)
    count = rng.integers(lo, hi + 1)
    offset = np.r_[0, np.cumsum(count)[:-1]]
    m = int(count.sum())
    acct = np.repeat(np.arange(n), count)
    rank = np.arange(m) - offset[acct]
    high_roles = np.array([DM, ADMIN, CHAMPION, DM, ADMIN])
    std_roles = np.array([DM, ADMIN, CHAMPION])
    role = np.full(m, END_USER)
    is_high = w.segment[acct] == HIGH
    role = np.where(is_high & (rank < 5), high_roles[np.minimum(rank, 4)], role)
    role = np.where(~is_high & (rank < 3), std_roles[np.minimum(rank, 2)], role)
    names, local = vocab.person_names(rng, m)
    email = []
    seen: set[str] = set()
    for i in range(m):
        e = f"{local[i]}@{w.domain[acct[i]]}"
        k = 2
        while e in seen:
            e = f"{local[i]}{k}@{w.domain[acct[i]]}"
            k += 1
        seen.add(e)
        email.append(e)
    # contacts known from the start; later ones added over time (new champions, users)
    cdays = w.created_day[acct]
    horizon = w.days - 1 - cdays
    later = (rank >= 2) & (rng.random(m) < 0.35) & (horizon > 0)
    created = np.where(
        later,
        cdays + (rng.random(m) * np.maximum(horizon, 1)).astype(np.int64),
        cdays + rng.integers(0, 5, m),
    )
    created = np.minimum(created, w.days - 1)
    email_crm = email_variant(rng, email, 0.03, 0.01)
    dm = offset.copy()
    champ = np.where(count >= 3, offset + 2, np.where(count >= 2, offset + 1, offset))
    contact_id = [f"CN{i + 1:07d}" for i in range(m)]
    names_l, email_l, email_crm_l = list(names), email, email_crm
    acct_l, role_l, created_l = list(acct), list(role), list(created)
    # one consultant advises two customers: the same e-mail on contacts of two accounts
    # (the later contact wins, reading 21)
    if n >= 20:
        a, b = 3, n // 2
        src = int(offset[a])
        contact_id.append(f"CN{m + 1:07d}")
        acct_l.append(b)
        role_l.append(CHAMPION)
        names_l.append(names[src])
        email_l.append(email[src])
        email_crm_l.append(email[src])
        created_l.append(min(int(created[src]) + 200, w.days - 1))
    return Contacts(
        contact_id=contact_id,
        acct=np.array(acct_l, dtype=np.int64),
        role=np.array(role_l, dtype=np.int64),
        name=names_l,
        email=email_l,
        email_crm=email_crm_l,
        created_day=np.array(created_l, dtype=np.int64),
        offset=offset,
        count=count,
        dm=dm,
        champ=champ,
        synced=rng.random(len(contact_id)) < 0.6,
    )


def write_accounts(w: World, out: Path) -> int:
    def rows():
        ds = dates(w.start, w.created_day)
        for i in range(w.n):
            yield (
                w.account_id[i],
                w.account_name[i],
                w.industry[i],
                int(w.employees[i]),
                w.region[i],
                w.csm[i],
                ds[i],
            )

    # Japanese Excel / CRM export: CP932 with CRLF
    return write_csv(
        out / "crm" / "accounts.csv",
        contract_header("crm__accounts"),
        rows(),
        encoding="cp932",
        crlf=True,
    )


def write_contacts(w: World, c: Contacts, out: Path) -> int:
    ds = dates(w.start, c.created_day)
    order = np.argsort(np.array(c.contact_id))
    rows = (
        (
            c.contact_id[i],
            w.account_id[c.acct[i]],
            c.name[i],
            c.email_crm[i],
            ROLES[c.role[i]],
            ds[i],
        )
        for i in order
    )
    # UTF-8 with BOM and CRLF, as "CSV UTF-8" from Excel
    return write_csv(
        out / "crm" / "contacts.csv",
        contract_header("crm__contacts"),
        rows,
        encoding="utf-8-sig",
        crlf=True,
    )


def write_contracts(w: World, out: Path) -> tuple[int, int]:
    ds = dates(w.start, np.array([c.start for c in w.contracts] + [c.end for c in w.contracts]))
    k = len(w.contracts)
    rows = (
        (
            c.contract_id,
            w.account_id[c.acct],
            vocab.PRODUCT,
            vocab.PLANS[c.plan],
            ds[i],
            ds[k + i],
            c.seats,
            c.annual_quota,
            c.arr_jpy,
            c.status,
        )
        for i, c in enumerate(w.contracts)
    )
    n1 = write_csv(
        out / "crm" / "contracts.csv",
        contract_header("crm__contracts"),
        rows,
    )
    cds = dates(w.start, np.array([ch.day for ch in w.changes], dtype=np.int64))
    rows2 = (
        (
            ch.change_id,
            w.account_id[ch.acct],
            ch.contract_id,
            cds[i],
            ch.change_type,
            ch.delta_seats,
            ch.delta_arr_jpy,
        )
        for i, ch in enumerate(w.changes)
    )
    n2 = write_csv(
        out / "crm" / "contract_changes.csv",
        contract_header("crm__contract_changes"),
        rows2,
    )
    return n1, n2


def _business_day(day: np.ndarray, start_weekday: int) -> np.ndarray:
    """Move Saturdays to Friday and Sundays to Monday."""
    wd = (start_weekday + day) % 7
    return day - (wd == 5) + (wd == 6)


def write_activities(w: World, c: Contacts, rng: np.random.Generator, out: Path) -> int:
    """Touches from 180 days before start: meetings/calls by CSMs, e-mails for tech touch."""
    n = w.n
    first = -180
    rows_day: list[np.ndarray] = []
    rows_acct: list[np.ndarray] = []
    rows_type: list[np.ndarray] = []
    rows_contact: list[np.ndarray] = []
    has_csm = np.array([x is not None for x in w.csm])
    seg = w.segment
    for m0 in range(first, w.days, 30):
        span = min(30, w.days - m0)
        mid = min(m0 + 15, w.days - 1)
        h = w.health[:, mid + PRE].astype(np.float64)
        act = w.active[:, mid + PRE]
        hi, po, te = seg == HIGH, seg == POOLED, seg == TECH
        rates = {
            "regular_meeting": np.where(hi, 0.55 + 0.45 * h, 0.0),
            "onsite": np.where(hi, 0.05 + 0.15 * h, np.where(po & has_csm, 0.03 * h, 0.0)),
            "meeting": np.select(
                [hi, po & has_csm, po], [0.1 + 0.2 * h, 0.1 + 0.5 * h**2, 0.25 * h**2], 0.01
            ),
            "call": np.select(
                [hi, po & has_csm, po, te],
                [0.15 + 0.6 * (1 - h), 0.1 + 0.4 * (1 - h), 0.05, 0.03 + 0.08 * h],
                0.0,
            ),
            "email": np.select([hi, po, te], [3.0, 1.8, 2.2], 0.0),
        }
        for typ, lam in rates.items():
            k = rng.poisson(np.where(act, lam * span / 30, 0))
            if typ == "regular_meeting":
                k = np.minimum(k, 1)
            if not k.any():
                continue
            accts = np.repeat(np.arange(n), k)
            day = m0 + rng.integers(0, span, len(accts))
            day = np.clip(_business_day(day, w.start.weekday()), first, w.days - 1)
            # who was in the room: a decision maker more often when healthy
            hh = h[accts]
            u = rng.random(len(accts))
            rnd = c.offset[accts] + (rng.random(len(accts)) * c.count[accts]).astype(np.int64)
            if typ == "email":
                contact = np.where(u < 0.03, c.dm[accts], rnd)
                contact = np.where(te[accts] & (rng.random(len(accts)) < 0.8), -1, contact)
            else:
                contact = np.where(
                    u < 0.12 + 0.4 * hh, c.dm[accts], np.where(u < 0.85, c.champ[accts], rnd)
                )
                contact = np.where(rng.random(len(accts)) < 0.05, -1, contact)
            rows_day.append(day)
            rows_acct.append(accts)
            rows_type.append(np.full(len(accts), typ))
            rows_contact.append(contact)
    # a kick-off meeting after the first contract starts; a renewal conversation before the
    # end (a meeting with the decision maker where a CSM owns the account, else a call)
    ev: list[tuple[int, int, str, int]] = []
    for ct in w.contracts:
        a = ct.acct
        if ct.start == w.customer_since[a] and first <= ct.start < w.days:
            ev.append((ct.start + int(rng.integers(3, 21)), a, "meeting", int(c.dm[a])))
        d = ct.end - int(rng.integers(45, 100))
        if first <= d < w.days and d >= ct.start:
            if seg[a] == HIGH or has_csm[a]:
                if rng.random() < 0.85:
                    ev.append((d, a, "meeting", int(c.dm[a])))
            elif rng.random() < 0.3 + 0.5 * w.h(a, d):
                ev.append((d, a, "call", int(c.dm[a]) if rng.random() < 0.5 else -1))
    if ev:
        e_day = np.array([e[0] for e in ev], dtype=np.int64)
        rows_day.append(np.clip(_business_day(e_day, w.start.weekday()), first, w.days - 1))
        rows_acct.append(np.array([e[1] for e in ev], dtype=np.int64))
        rows_type.append(np.array([e[2] for e in ev]))
        rows_contact.append(np.array([e[3] for e in ev], dtype=np.int64))
    day = np.concatenate(rows_day)
    acct = np.concatenate(rows_acct)
    typ = np.concatenate(rows_type)
    contact = np.concatenate(rows_contact)
    # onsite and meetings at round hours, calls and e-mails any time
    sec = np.where(
        np.isin(typ, ["meeting", "regular_meeting", "onsite"]),
        rng.integers(10, 18, len(day)) * 3600,
        rng.integers(9 * 3600, 19 * 3600, len(day)),
    )
    order = np.lexsort((acct, sec, day))
    ts = timestamps(w.start, day[order], sec[order])
    pooled_team = w.csm_pooled

    def rows():
        for j, i in enumerate(order):
            a = int(acct[i])
            t = str(typ[i])
            if w.csm[a] is not None:
                owner = w.csm[a]
            elif seg[a] == TECH and t == "email":
                owner = vocab.ACTIVITY_OWNER_AUTOMATION
            else:
                owner = pooled_team[(a + j) % len(pooled_team)]
            ci = int(contact[i])
            yield (
                f"AC{j + 1:08d}",
                w.account_id[a],
                c.contact_id[ci] if ci >= 0 else None,
                t,
                ts[j],
                owner,
            )

    return write_csv(
        out / "crm" / "activities.csv",
        contract_header("crm__activities"),
        rows(),
    )


def write_success_plans(w: World, rng: np.random.Generator, out: Path) -> int:
    """Objectives per contract term, mostly for pooled and high-touch customers."""
    share = {TECH: 0.05, POOLED: 0.6, HIGH: 1.0}
    has_plan = np.array([rng.random() < share[int(s)] for s in w.segment])
    rows = []
    for ct in w.contracts:
        a = ct.acct
        if not has_plan[a] or ct.end < -PRE or ct.start > w.days - 1:
            continue
        for _ in range(int(rng.integers(2, 5))):
            tmpl = vocab.OBJECTIVES[int(rng.integers(len(vocab.OBJECTIVES)))]
            text = tmpl.format(n=int(rng.integers(2, 6)), p=int(rng.choice([30, 50, 70, 80])))
            if rng.random() < 0.15:
                text += vocab.OBJECTIVE_NOTES[int(rng.integers(1, len(vocab.OBJECTIVE_NOTES)))]
            target = ct.start + int(rng.integers(60, 340))
            h = w.h(a, target)
            end_known = w.days - 1
            if target <= end_known:
                if ct.status == "churned" and target > ct.end:
                    status, achieved = "missed", None
                elif rng.random() < 0.15 + 0.8 * h:
                    status = "achieved"
                    achieved = target - int(rng.integers(0, 45))
                else:
                    status, achieved = "missed", None
            else:
                if rng.random() < 0.2 * h:
                    status, achieved = "achieved", end_known - int(rng.integers(0, 30))
                else:
                    status = "in_progress" if target - end_known < 120 else "planned"
                    achieved = None
            if achieved is not None:
                achieved = min(max(achieved, ct.start + 14), end_known)
            rows.append((a, target, text, status, achieved))
    rows.sort(key=lambda r: (r[0], r[1]))
    tds = dates(w.start, np.array([r[1] for r in rows], dtype=np.int64))
    ads = dates(w.start, np.array([r[4] if r[4] is not None else 0 for r in rows], np.int64))
    out_rows = (
        (
            f"OB{i + 1:07d}",
            w.account_id[r[0]],
            r[2],
            tds[i],
            r[3],
            ads[i] if r[4] is not None else None,
        )
        for i, r in enumerate(rows)
    )
    return write_csv(
        out / "crm" / "success_plans.csv",
        contract_header("crm__success_plans"),
        out_rows,
    )
