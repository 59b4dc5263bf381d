"""Marketing leads and engagements, seminars, support tickets and NPS answers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from . import vocab
from .crm import ADMIN, CHAMPION, DM, Contacts, email_variant
from .io import contract_header, timestamps, write_csv, write_jsonl
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
    vsec = rng.integers(9 * 3600, 19 * 3600, m)
    vsec = np.where(vdays <= cdays, np.maximum(csec + 600, vsec), vsec)  # after creation
    vdays = np.maximum(vdays, cdays)
    vts = timestamps(w.start, vdays, vsec)
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
        contract_header("marketing__leads"),
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
        # plain ASCII values without quotes or backslashes: format the JSON directly
        lines = []
        for j, i in enumerate(order):
            seq += 1
            if i < len(ci):
                cc = int(ci[i])
                email = known_em[i]
                acct = f'"{w.account_id[c.acct[cc]]}"' if c.synced[cc] else "null"
                typ = types[int(ti[i])]
            else:
                email, acct = unknown_emails[int(ui[i - len(ci)])], "null"
                typ = types[int(ut[i - len(ci)])]
            lines.append(
                f'{{"event_id":"EV{seq:09d}","email":"{email}","account_id":{acct},'
                f'"event_type":"{typ}","occurred_at":"{ts[j]}{JST}"}}\n'
            )
        path = out / "marketing" / f"engagements_{m_first:%Y-%m}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(lines), encoding="utf-8", newline="\n")
        total += len(lines)
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
                p = np.where((age >= 0) & (age <= 75), np.where(key_role, 0.55, 0.1) * h, 0.003)
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
    t_day: list[np.ndarray] = []
    t_acct: list[np.ndarray] = []
    for _m_first, lo, hi in _months(w.start, w.end):
        span = hi - lo + 1
        mid = (lo + hi) // 2
        h = w.health[:, mid + PRE].astype(np.float64)
        act = w.active[:, mid + PRE]
        seats = w.seats[:, mid + PRE]
        new = (mid - w.customer_since >= 0) & (mid - w.customer_since < 60)
        lam = (0.12 + 0.035 * np.sqrt(seats)) * (0.5 + 2.2 * (1 - h) ** 2) + 0.8 * h * new
        k = rng.poisson(np.where(act, lam * span / 30, 0))
        t_acct.append(np.repeat(np.arange(w.n), k))
        t_day.append(lo + rng.integers(0, span, int(k.sum())))
    day = np.concatenate(t_day)
    acct = np.concatenate(t_acct)
    burst = np.zeros(len(day), dtype=bool)
    # a sharp drop in health brings a burst of (urgent) tickets within ten days
    b_day, b_acct = [], []
    for a, d in w.neg_shocks:
        if 0 <= d < w.days and w.active[a, d + PRE]:
            for _ in range(int(rng.integers(3, 7))):
                dd = d + int(rng.integers(0, 10))
                if dd < w.days and w.active[a, dd + PRE]:
                    b_day.append(dd)
                    b_acct.append(a)
    day = np.r_[day, np.array(b_day, dtype=np.int64)]
    acct = np.r_[acct, np.array(b_acct, dtype=np.int64)]
    burst = np.r_[burst, np.ones(len(b_day), dtype=bool)]
    k = len(day)
    created = day * 86_400 + (np.clip(rng.normal(13.5, 2.5, k), 7, 22) * 3600).astype(np.int64)
    order = np.lexsort((acct, created))
    day, acct, burst, created = day[order], acct[order], burst[order], created[order]
    h = w.health[acct, day + PRE].astype(np.float64)
    u = rng.random(k)
    pu = np.where(burst, 0.3, 0.03 + 0.12 * (1 - h))
    ph = np.where(burst, 0.35, 0.1 + 0.25 * (1 - h))
    pl = np.where(burst, 0.0, 0.2)
    prio = np.where(u < pu, 0, np.where(u < pu + ph, 1, np.where(u < 1 - pl, 2, 3)))
    prio_names = ("urgent", "high", "normal", "low")
    speed = np.array([0.25, 0.5, 1.0, 1.6])[prio]
    cat = rng.choice(len(cats), size=k, p=cat_p)
    subj_u = rng.random(k)
    contact = _pick_contact(c, acct, rng, 0.5, 0.25)
    known = rng.random(k) < 0.92
    helpdesk = rng.integers(1, 99, k)
    emails = [
        c.email[contact[i]] if known[i] else f"support-{helpdesk[i]}@{w.domain[acct[i]]}"
        for i in range(k)
    ]
    emails = email_variant(rng, emails, 0.05, 0.02)
    channel = rng.choice(4, size=k, p=vocab.TICKET_CHANNEL_WEIGHTS)
    t_open = created + rng.exponential(4 * 3600 * speed).astype(np.int64) + 300
    has_pending = rng.random(k) < 0.35
    t_pending = t_open + rng.exponential(20 * 3600, k).astype(np.int64)
    # escalated problems (bugs, integrations) wait for engineering, longer when unhealthy
    escalated = (prio <= 1) & (rng.random(k) < 0.25 * (1.2 - h))
    has_pending |= escalated
    t_pending = np.where(escalated, t_open + 3600, t_pending)
    t_pending += np.where(escalated, rng.exponential(12 * 86_400, k), 0).astype(np.int64)
    t_solved = (
        np.where(has_pending, t_pending, t_open)
        + rng.exponential(40 * 3600 * speed * (1.5 - h)).astype(np.int64)
        + 600
    )
    t_closed = t_solved + 4 * 86_400
    rated = rng.random(k) < 0.35
    good = rng.random(k) < 0.35 + 0.6 * h
    no_solved_at = rng.random(k) < 0.02
    end_ts = w.days * 86_400  # seconds from start: the export horizon

    base_dt = np.datetime64(w.start, "s") - np.timedelta64(9 * 3600, "s")  # JST -> UTC

    def iso(sec: np.ndarray) -> list[str]:
        vals = base_dt + np.asarray(sec, np.int64).astype("timedelta64[s]")
        return [x + "+00:00" for x in np.datetime_as_string(vals, unit="s").tolist()]

    created_s, open_s, pend_s = iso(created), iso(t_open), iso(t_pending)
    solved_s, closed_s = iso(t_solved), iso(t_closed)
    # versions: (updated seconds, ticket index, status index 0..4)
    months = _months(w.start, w.end)
    month_of_day = np.zeros(w.days, dtype=np.int64)
    for mi, (_m, lo, hi) in enumerate(months):
        month_of_day[lo : hi + 1] = mi
    latest: list[dict[int, int]] = [{} for _ in months]  # month -> ticket -> status
    steps = (created, t_open, t_pending, t_solved, t_closed)
    for st, times in enumerate(steps):
        ok = times < end_ts
        if st == 2:
            ok &= has_pending
        # later steps overwrite earlier ones within a month
        for i in np.flatnonzero(ok):
            latest[month_of_day[times[i] // 86_400]][int(i)] = st
    status_names = ("new", "open", "pending", "solved", "closed")
    upd_s = (created_s, open_s, pend_s, solved_s, closed_s)
    total = 0
    bad_done = False
    for mi, (m_first, _lo, _hi) in enumerate(months):
        recs = []
        for i in sorted(latest[mi]):
            st = latest[mi][i]
            solved = solved_s[i] if st >= 3 and not no_solved_at[i] else None
            sat = None
            if st == 4 and rated[i]:
                sat = "good" if good[i] else "bad"
            cname = cats[cat[i]]
            subjects = vocab.TICKET_CATEGORIES[cname]
            rec = {
                "id": f"{100001 + i}",
                "organization_id": w.account_id[acct[i]],
                "requester_email": emails[i],
                "subject": subjects[int(subj_u[i] * len(subjects))],
                "created_at": created_s[i],
                "updated_at": upd_s[st][i],
                "solved_at": solved,
                "status": status_names[st],
                "priority": prio_names[prio[i]],
                "channel": vocab.TICKET_CHANNELS[channel[i]],
                "category": cname,
                "satisfaction": sat,
            }
            if not bad_done and len(latest[mi]) >= 5 and m_first.month != w.start.month:
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
            contract_header("nps__responses"),
            rows,
            encoding="utf-8-sig",
            crlf=True,
        )
    return total


def segment_counts(w: World) -> dict[str, int]:
    """Accounts per segment of the dbt seed in use, by employee count (what the pipeline
    will make of them; the world's own size classes drive only the simulation)."""
    from dagster_project.seeds import read_seed, segment_of

    segments = read_seed("segments")
    counts = dict.fromkeys((row["segment"] for row in segments), 0)
    for employees in w.employees:
        segment = segment_of(int(employees), segments)
        if segment is not None:
            counts[segment] += 1
    return counts


__all__ = [
    "write_leads",
    "write_engagements",
    "write_seminars",
    "write_tickets",
    "write_nps",
    "segment_counts",
    "HIGH",
]
