"""Marketing leads and engagements, seminars, support tickets and NPS answers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from . import vocab
from .crm import ADMIN, CHAMPION, DM, Contacts, email_variant
from .io import timestamps, write_csv, write_jsonl
from .world import HIGH, PRE, World

JST = "+09:00"


def _months(start: date, end: date) -> list[tuple[date, int, int]]:
    """(first day of month, first day index, last day index) clipped to [start, end]."""
    out = []
    m = date(start.year, start.month, 1)
    while m <= end:
        nxt = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
        lo = max((m - start).days, 0)
        hi = min((nxt - start).days - 1, (end - start).days)
        out.append((m, lo, hi))
        m = nxt
    return out


def _pick_contact(
    c: Contacts, accts: np.ndarray, rng: np.random.Generator, p_admin: float, p_champ: float
) -> np.ndarray:
    """A contact index per account: an admin, the champion, or anyone."""
    u = rng.random(len(accts))
    rnd = c.offset[accts] + (rng.random(len(accts)) * c.count[accts]).astype(np.int64)
    admin = np.where(c.count[accts] >= 2, c.offset[accts] + 1, c.offset[accts])
    return np.where(u < p_admin, admin, np.where(u < p_admin + p_champ, c.champ[accts], rnd))


# --------------------------------------------------------------------------- leads


def write_leads(w: World, c: Contacts, rng: np.random.Generator, out: Path) -> tuple[int, list]:
    """Leads; returns (rows, unknown prospects as (email, company)) for other sources."""
    rows: list[list] = []  # [created_day, created_sec, email, company, acct|None, source, status,
    #                         converted_day|None]
    sources_new = ("web", "seminar", "referral", "whitepaper", "event", "trial")
    p_new = (0.3, 0.15, 0.15, 0.15, 0.1, 0.15)
    for a in range(w.n):
        cs = int(w.customer_since[a])
        if w.is_customer[a] and -PRE <= cs < w.days:
            created = cs - int(rng.integers(20, 120))
            conv = cs - int(rng.integers(0, 14))
            src = sources_new[int(rng.choice(6, p=p_new))]
            rows.append(
                [
                    created,
                    conv,
                    c.email[c.dm[a]],
                    w.account_name[a],
                    a if rng.random() < 0.8 else None,
                    src,
                    "converted",
                    conv,
                ]
            )
        elif not w.is_customer[a]:
            for _ in range(int(rng.integers(1, 4))):
                created = int(rng.integers(-PRE, w.days))
                ci = int(c.offset[a] + rng.integers(0, c.count[a]))
                st = ("open", "qualified", "disqualified")[int(rng.choice(3, p=(0.5, 0.3, 0.2)))]
                src = sources_new[int(rng.choice(6, p=p_new))]
                rows.append([created, None, c.email[ci], w.account_name[a], a, src, st, None])
    # interest from customers: trials before a cross-sell / upgrade, plus background noise
    for ch in w.changes:
        if (
            ch.change_type in ("cross_sell", "upgrade")
            and 0 <= ch.day < w.days
            and rng.random() < 0.45
        ):
            created = ch.day - int(rng.integers(5, 21))
            rows.append(
                [
                    created,
                    None,
                    c.email[c.champ[ch.acct]],
                    w.account_name[ch.acct],
                    ch.acct if rng.random() < 0.5 else None,
                    "trial",
                    "converted" if rng.random() < 0.5 else "qualified",
                    ch.day if rng.random() < 0.5 else None,
                ]
            )
    for a in np.flatnonzero(w.is_customer & (rng.random(w.n) < 0.08)):
        day = int(rng.integers(0, w.days))
        if w.active[a, day + PRE]:
            src = "trial" if rng.random() < 0.4 else "whitepaper"
            rows.append(
                [
                    day,
                    None,
                    c.email[c.offset[a] + rng.integers(0, c.count[a])],
                    w.account_name[a],
                    None,
                    src,
                    "open",
                    None,
                ]
            )
    # converted rows carry converted_day in slot 7; fix status/converted consistency
    for r in rows:
        if r[6] == "converted" and r[7] is None:
            r[7] = r[0] + int(rng.integers(1, 20))
        if r[6] != "converted":
            r[7] = None
        r[1] = None
    # companies that never became customers (not in the CRM)
    k = max(5, int(w.n * 0.6))
    comp, doms = vocab.company_names(rng, k)
    _, local = vocab.person_names(rng, k)
    unknown = []
    for i in range(k):
        dom = (
            doms[i].replace(".co.jp", "-corp.jp")
            if rng.random() < 0.8
            else vocab.FREE_MAIL[int(rng.integers(len(vocab.FREE_MAIL)))]
        )
        email = f"{local[i]}@{dom}"
        created = int(rng.integers(-PRE // 2, w.days))
        st = ("open", "qualified", "disqualified")[int(rng.choice(3, p=(0.55, 0.15, 0.3)))]
        src = sources_new[int(rng.choice(6, p=(0.35, 0.15, 0.05, 0.25, 0.1, 0.1)))]
        rows.append([created, None, email, comp[i], None, src, st, None])
        unknown.append((email, comp[i]))
    rows = [r for r in rows if r[0] < w.days and (r[7] is None or r[7] < w.days)]
    rows.sort(key=lambda r: (r[0], r[2]))
    m = len(rows)
    cdays = np.array([r[0] for r in rows], dtype=np.int64)
    csec = rng.integers(8 * 3600, 21 * 3600, m)
    cts = timestamps(w.start, cdays, csec)
    vdays = np.array([r[7] if r[7] is not None else r[0] for r in rows], dtype=np.int64)
    vts = timestamps(w.start, vdays, np.maximum(csec, rng.integers(9 * 3600, 19 * 3600, m)))
    emails = email_variant(rng, [r[2] for r in rows], 0.05, 0.02)
    # defects (quarantine fodder): two leads with impossible created_at values
    bad = {int(m * 0.31): "2025-02-30 10:00:00", int(m * 0.77): "不明"} if m >= 10 else {}
    out_rows = (
        (
            f"LD{i + 1:07d}",
            emails[i],
            r[3],
            w.account_id[r[4]] if r[4] is not None else None,
            r[5],
            bad.get(i, cts[i]),
            r[6],
            vts[i] if r[7] is not None else None,
        )
        for i, r in enumerate(rows)
    )
    n = write_csv(
        out / "marketing" / "leads.csv",
        (
            "lead_id",
            "email",
            "company_name",
            "account_id",
            "lead_source",
            "created_at",
            "status",
            "converted_at",
        ),
        out_rows,
    )
    return n, unknown


# --------------------------------------------------------------------------- engagements


def write_engagements(
    w: World, c: Contacts, unknown: list, rng: np.random.Generator, out: Path
) -> int:
    types = (
        "email_open",
        "email_click",
        "whitepaper_download",
        "pricing_page_view",
        "community_post",
        "trial_signup",
    )
    m_contacts = len(c.acct)
    role = c.role
    champ_like = (role == CHAMPION) | (role == ADMIN)
    tech = w.segment[c.acct] == 0
    # signals before expansions: content interest and trials
    extra: list[tuple[int, int, int]] = []  # (day, contact, type index)
    for ch in w.changes:
        if ch.day < 0 or ch.day >= w.days:
            continue
        if ch.change_type in ("cross_sell", "upgrade") or (
            ch.change_type == "seat_add" and rng.random() < 0.3
        ):
            for _ in range(int(rng.integers(2, 5))):
                who = c.dm[ch.acct] if rng.random() < 0.5 else c.champ[ch.acct]
                extra.append(
                    (ch.day - int(rng.integers(1, 14)), int(who), 2 if rng.random() < 0.5 else 3)
                )
            if ch.change_type == "cross_sell" and rng.random() < 0.4:
                extra.append((ch.day - int(rng.integers(5, 20)), int(c.champ[ch.acct]), 5))
    extra_arr = np.array(extra, dtype=np.int64).reshape(-1, 3)
    unknown_emails = [e for e, _ in unknown]
    total = 0
    seq = 0
    for m_first, lo, hi in _months(w.start, w.end):
        span = hi - lo + 1
        mid = (lo + hi) // 2
        h = w.health[c.acct, mid + PRE].astype(np.float64)
        live = (w.active[c.acct, mid + PRE] | ~w.is_customer[c.acct]) & (c.created_day <= hi)
        scale = span / 30.0
        lam = (
            np.stack(
                [
                    np.where(tech, 1.6, 1.0) * (0.3 + h),
                    0.25 * (0.1 + h),
                    np.full(m_contacts, 0.03),
                    np.full(m_contacts, 0.02),
                    np.where(champ_like, 0.35 * h**2, 0.03 * h),
                    np.full(m_contacts, 0.001),
                ],
                axis=1,
            )
            * scale
            * live[:, None]
        )
        k = rng.poisson(lam)
        ci, ti = np.nonzero(k)
        reps = k[ci, ti]
        ci, ti = np.repeat(ci, reps), np.repeat(ti, reps)
        day = lo + rng.integers(0, span, len(ci))
        sel = (extra_arr[:, 0] >= lo) & (extra_arr[:, 0] <= hi)
        ci = np.r_[ci, extra_arr[sel, 1]]
        ti = np.r_[ti, extra_arr[sel, 2]]
        day = np.r_[day, extra_arr[sel, 0]]
        # unknown prospects read e-mails and white papers too
        nu = rng.poisson(0.8 * len(unknown_emails) * scale) if unknown_emails else 0
        ui = rng.integers(0, max(len(unknown_emails), 1), nu)
        ut = rng.choice(4, size=nu, p=(0.6, 0.15, 0.15, 0.1))
        ud = lo + rng.integers(0, span, nu)
        sec = rng.integers(7 * 3600, 23 * 3600, len(ci) + nu)
        all_day = np.r_[day, ud]
        order = np.lexsort((sec, all_day))
        ts = timestamps(w.start, all_day[order], sec[order], sep="T")
        known_em = email_variant(rng, [c.email[i] for i in ci], 0.04, 0.01)
        recs = []
        for j, i in enumerate(order):
            seq += 1
            if i < len(ci):
                cc = int(ci[i])
                email, acct = known_em[i], w.account_id[c.acct[cc]] if c.synced[cc] else None
                typ = types[int(ti[i])]
            else:
                email, acct = unknown_emails[int(ui[i - len(ci)])], None
                typ = types[int(ut[i - len(ci)])]
            recs.append(
                {
                    "event_id": f"EV{seq:09d}",
                    "email": email,
                    "account_id": acct,
                    "event_type": typ,
                    "occurred_at": ts[j] + JST,
                }
            )
        total += write_jsonl(out / "marketing" / f"engagements_{m_first:%Y-%m}.jsonl", recs)
    return total


# --------------------------------------------------------------------------- seminars


def write_seminars(
    w: World, c: Contacts, unknown: list, rng: np.random.Generator, out: Path
) -> int:
    total = 0
    m_contacts = len(c.acct)
    role = c.role
    key_role = (role == ADMIN) | (role == CHAMPION) | (role == DM)
    unknown_emails = [e for e, _ in unknown]
    bad_done = False
    empty_done = False
    for m_first, lo, hi in _months(w.start, w.end):
        plan: list[tuple[str, int, str]] = []  # (category, day, title)
        wd0 = m_first.weekday()
        first_wed = (2 - wd0) % 7
        for cat, day_in_month in (
            ("onboarding", first_wed),
            ("onboarding", first_wed + 14),
            ("training", first_wed + 7),
            ("training", first_wed + 21),
            ("webinar", first_wed + 8),
            ("community", first_wed + 16),
        ):
            title_tmpl, _dur = vocab.SEMINARS[cat]
            topic = vocab.SEMINAR_TOPICS[int(rng.integers(len(vocab.SEMINAR_TOPICS)))]
            plan.append((cat, day_in_month, title_tmpl.format(topic=topic, season="")))
        if m_first.month in (6, 11):
            season = f"{m_first.year} {'夏' if m_first.month == 6 else '秋'}"
            plan.append(
                (
                    "user_event",
                    first_wed + 9,
                    vocab.SEMINARS["user_event"][0].format(season=season, topic=""),
                )
            )
        recs = []
        for si, (cat, dim, title) in enumerate(sorted(plan, key=lambda p: p[1])):
            held = (m_first - w.start).days + dim
            if held < lo or held > hi:
                continue
            hour = 16 if cat in ("community", "user_event") else 14
            held_ts = timestamps(w.start, np.array([held]), np.array([hour * 3600]))[0]
            sid = f"SM{m_first:%Y%m}{si + 1:02d}"
            if cat == "community" and not empty_done and m_first.month != w.start.month:
                # an extra session announced late: nobody registered
                recs.append(
                    {
                        "seminar_id": sid + "X",
                        "title": title + "（追加開催）",
                        "category": cat,
                        "held_at": held_ts,
                        "registrations": [],
                    }
                )
                empty_done = True
            h = w.health[c.acct, held + PRE].astype(np.float64)
            live = w.active[c.acct, held + PRE] & (c.created_day <= held)
            age = held - w.customer_since[c.acct]
            if cat == "onboarding":
                p = np.where((age >= 0) & (age <= 75), np.where(key_role, 0.45, 0.1), 0.003)
            elif cat == "training":
                p = 0.02 * (0.3 + h) * np.where(key_role, 2.0, 1.0)
            elif cat == "webinar":
                p = np.where(w.is_customer[c.acct], 0.012 * (0.5 + h), 0.05)
                live = live | (~w.is_customer[c.acct] & (c.created_day <= held))
            elif cat == "community":
                p = np.where(key_role, 0.1 * h**1.5, 0.005)
            else:
                p = 0.06 * h
            regs = np.flatnonzero(live & (rng.random(m_contacts) < p))
            emails = email_variant(rng, [c.email[i] for i in regs], 0.04, 0.01)
            hh = h[regs]
            if cat == "webinar" and unknown_emails:
                extra = rng.choice(
                    len(unknown_emails),
                    size=min(len(unknown_emails), int(rng.poisson(3 + w.n / 100))),
                    replace=False,
                )
                emails += [unknown_emails[i] for i in extra]
                hh = np.r_[hh, np.full(len(extra), 0.5)]
            dur = vocab.SEMINARS[cat][1]
            k = len(emails)
            reg_day = held - rng.integers(1, 21, k)
            reg_ts = timestamps(w.start, reg_day, rng.integers(8 * 3600, 23 * 3600, k))
            attended = rng.random(k) < 0.35 + 0.5 * hh
            minutes = np.round(dur * rng.uniform(0.3, 1.0, k)).astype(int)
            reg_list = []
            for j in range(k):
                mins = int(minutes[j]) if attended[j] else None
                if attended[j] and rng.random() < 0.02:
                    mins = None  # the webinar tool lost the duration
                if not bad_done and k >= 3 and j == 1:
                    mins, bad_done = -5, True  # defect: negative minutes
                reg_list.append(
                    {
                        "email": emails[j],
                        "registered_at": reg_ts[j],
                        "attended": bool(attended[j]),
                        "attended_minutes": mins,
                    }
                )
            recs.append(
                {
                    "seminar_id": sid,
                    "title": title,
                    "category": cat,
                    "held_at": held_ts,
                    "registrations": reg_list,
                }
            )
        if recs:
            write_jsonl(out / "seminars" / f"seminars_{m_first:%Y-%m}.jsonl", recs)
            total += sum(max(1, len(r["registrations"])) for r in recs)
    return total


# --------------------------------------------------------------------------- tickets


def write_tickets(w: World, c: Contacts, rng: np.random.Generator, out: Path) -> int:
    cats = tuple(vocab.TICKET_CATEGORIES)
    cat_p = np.array([0.14, 0.12, 0.08, 0.3, 0.14, 0.07, 0.15])
    tickets: list[tuple[int, int, int, bool]] = []  # (day, sec, acct, burst)
    for _m_first, lo, hi in _months(w.start, w.end):
        span = hi - lo + 1
        mid = (lo + hi) // 2
        h = w.health[:, mid + PRE].astype(np.float64)
        act = w.active[:, mid + PRE]
        seats = w.seats[:, mid + PRE]
        new = (mid - w.customer_since >= 0) & (mid - w.customer_since < 60)
        lam = (0.12 + 0.035 * np.sqrt(seats)) * (0.5 + 2.2 * (1 - h) ** 2) + 0.6 * new
        k = rng.poisson(np.where(act, lam * span / 30, 0))
        accts = np.repeat(np.arange(w.n), k)
        days = lo + rng.integers(0, span, len(accts))
        for a, d in zip(accts, days, strict=True):
            tickets.append((int(d), 0, int(a), False))
    for a, d in w.neg_shocks:
        if 0 <= d < w.days and w.active[a, d + PRE]:
            for _ in range(int(rng.integers(3, 7))):
                dd = d + int(rng.integers(0, 10))
                if dd < w.days and w.active[a, dd + PRE]:
                    tickets.append((dd, 0, a, True))
    tickets.sort()
    end_ts = w.days * 86_400  # seconds from start: export horizon
    versions: list[tuple[int, int, dict]] = []  # (updated seconds, ticket no, record)
    for no, (d, _s, a, burst) in enumerate(tickets, start=1):
        h = w.h(a, d)
        created = d * 86_400 + int(np.clip(rng.normal(13.5, 2.5), 7, 22) * 3600)
        if burst:
            pr = ("urgent", "high", "normal")[int(rng.choice(3, p=(0.3, 0.35, 0.35)))]
        else:
            pu, ph = 0.03 + 0.12 * (1 - h), 0.1 + 0.25 * (1 - h)
            pr = ("urgent", "high", "normal", "low")[
                int(rng.choice(4, p=(pu, ph, 1 - pu - ph - 0.2, 0.2)))
            ]
        cat = cats[int(rng.choice(len(cats), p=cat_p))]
        subj = vocab.TICKET_CATEGORIES[cat][int(rng.integers(len(vocab.TICKET_CATEGORIES[cat])))]
        if rng.random() < 0.92:
            ci = int(_pick_contact(c, np.array([a]), rng, 0.5, 0.25)[0])
            email = c.email[ci]
        else:
            email = f"support-{int(rng.integers(1, 99))}@{w.domain[a]}"
        email = email_variant(rng, [email], 0.05, 0.02)[0]
        channel = vocab.TICKET_CHANNELS[int(rng.choice(4, p=vocab.TICKET_CHANNEL_WEIGHTS))]
        speed = {"urgent": 0.25, "high": 0.5, "normal": 1.0, "low": 1.6}[pr]
        t_open = created + int(rng.exponential(4 * 3600 * speed)) + 300
        t_pending = t_open + int(rng.exponential(20 * 3600)) if rng.random() < 0.35 else None
        t_solved = (t_pending or t_open) + int(rng.exponential(40 * 3600 * speed * (1.5 - h)))
        t_solved += 600
        t_closed = t_solved + 4 * 86_400
        sat = None
        if rng.random() < 0.35:
            sat = "good" if rng.random() < 0.35 + 0.6 * h else "bad"
        no_solved_at = rng.random() < 0.02
        base = {
            "id": f"{100000 + no}",
            "organization_id": w.account_id[a],
            "requester_email": email,
            "subject": subj,
        }
        steps = [(created, "new"), (t_open, "open")]
        if t_pending:
            steps.append((t_pending, "pending"))
        steps += [(t_solved, "solved"), (t_closed, "closed")]
        for t, status in steps:
            if t >= end_ts:
                break
            solved = t_solved if status in ("solved", "closed") and not no_solved_at else None
            rec = dict(base)
            rec.update(
                created_at=created,
                updated_at=t,
                solved_at=solved,
                status=status,
                priority=pr,
                channel=channel,
                category=cat,
                satisfaction=sat if status == "closed" else None,
            )
            versions.append((t, no, rec))
    # monthly incremental exports: each ticket's latest state within the month
    total = 0
    bad_done = False
    base_dt = np.datetime64(w.start, "s") - np.timedelta64(9 * 3600, "s")  # JST -> UTC

    def iso(sec: int | None) -> str | None:
        if sec is None:
            return None
        return str(base_dt + np.timedelta64(int(sec), "s")) + "+00:00"

    for m_first, lo, hi in _months(w.start, w.end):
        lo_s, hi_s = lo * 86_400, (hi + 1) * 86_400
        latest: dict[int, dict] = {}
        for t, no, rec in versions:
            if lo_s <= t < hi_s:
                latest[no] = rec
        recs = []
        for no in sorted(latest):
            rec = dict(latest[no])
            for key in ("created_at", "updated_at", "solved_at"):
                rec[key] = iso(rec[key])
            if not bad_done and len(latest) >= 5 and m_first.month != w.start.month:
                rec["priority"] = "緊急"  # defect: unknown enum value
                bad_done = True
            recs.append(rec)
        if recs:
            total += write_jsonl(out / "support" / f"tickets_{m_first:%Y-%m}.jsonl", recs)
    return total


# --------------------------------------------------------------------------- NPS


def write_nps(w: World, c: Contacts, rng: np.random.Generator, out: Path) -> int:
    total = 0
    seq = 0
    bad_left = [11, None, -1]  # defects: out of range, missing, negative
    q = date(w.start.year, 3 * ((w.start.month - 1) // 3) + 1, 1)
    while q <= w.end:
        sent_date = max(q + timedelta(days=9), w.start + timedelta(days=9))
        while sent_date.weekday() >= 5:
            sent_date += timedelta(days=1)
        sd = (sent_date - w.start).days
        label = f"{q.year}-Q{(q.month - 1) // 3 + 1}"
        q = date(q.year + (q.month == 10), (q.month + 3 - 1) % 12 + 1, 1)
        if sd >= w.days:
            continue
        h_c = w.health[c.acct, sd + PRE].astype(np.float64)
        live = w.active[c.acct, sd + PRE] & (c.created_day <= sd)
        p = (0.2 + 0.3 * h_c) * np.where(c.role == DM, 0.6, 1.0)
        resp = np.flatnonzero(live & (rng.random(len(c.acct)) < p))
        emails = email_variant(rng, [c.email[i] for i in resp], 0.04, 0.02)
        accts = c.acct[resp]
        known = np.ones(len(resp), dtype=bool)
        synced = c.synced[resp]
        # end users invited by their admins (not CRM contacts)
        act_accts = np.flatnonzero(w.active[:, sd + PRE])
        k = rng.poisson(0.15 * np.sqrt(np.maximum(w.seats[act_accts, sd + PRE], 1)))
        ua = np.repeat(act_accts, k)
        _, local = vocab.person_names(rng, len(ua))
        emails += [f"{local[i]}.u@{w.domain[a]}" for i, a in enumerate(ua)]
        accts = np.r_[accts, ua]
        known = np.r_[known, np.zeros(len(ua), bool)]
        synced = np.r_[synced, rng.random(len(ua)) < 0.5]
        h = w.health[accts, sd + PRE].astype(np.float64)
        score = np.clip(np.round(rng.normal(1.6 + 8.6 * h, 1.4)), 0, 10).astype(int)
        delay = np.minimum(rng.exponential(3 * 86_400, len(accts)), 21 * 86_400).astype(np.int64)
        resp_s = sd * 86_400 + 10 * 3600 + 600 + delay
        keep = resp_s < w.days * 86_400
        order = np.flatnonzero(keep)[np.argsort(resp_s[keep], kind="stable")]
        rts = timestamps(w.start, resp_s[order] // 86_400, resp_s[order] % 86_400)
        sent_ts = timestamps(w.start, np.array([sd]), np.array([10 * 3600]))[0]
        rows = []
        for j, i in enumerate(order):
            seq += 1
            s = int(score[i])
            cls = "promoter" if s >= 9 else "passive" if s >= 7 else "detractor"
            comment = None
            u = rng.random()
            if u < 0.02:
                comment = vocab.NPS_MULTILINE
            elif u < 0.55:
                opts = vocab.NPS_COMMENTS[cls]
                comment = opts[int(rng.integers(len(opts)))]
            score_out: object = s
            if bad_left and j in (3, 7, 11):
                score_out = bad_left.pop(0)
            rows.append(
                (
                    f"NP{seq:07d}",
                    emails[i],
                    w.account_id[accts[i]] if synced[i] else None,
                    sent_ts,
                    rts[j],
                    score_out,
                    comment,
                )
            )
        total += write_csv(
            out / "nps" / f"responses_{label}.csv",
            ("response_id", "email", "account_id", "sent_at", "responded_at", "score", "comment"),
            rows,
            encoding="utf-8-sig",
            crlf=True,
        )
    return total


def segment_counts(w: World) -> dict[str, int]:
    return {s: int((w.segment == i).sum()) for i, s in enumerate(vocab.SEGMENTS)}


__all__ = [
    "write_leads",
    "write_engagements",
    "write_seminars",
    "write_tickets",
    "write_nps",
    "segment_counts",
    "HIGH",
]
