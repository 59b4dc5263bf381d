"""The hidden world behind the landing zone: accounts, their true health, contracts.

Days are integers relative to ``start`` (day 0); the simulation begins ``PRE`` days earlier
so that contracts signed before ``start`` have a health history. Every later step (users,
usage, CRM touches, tickets, NPS, marketing) reads the same health matrix, which is what
makes a good health score predict churn and expansion on this data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from . import vocab

PRE = 365  # days simulated before start
TECH, POOLED, HIGH = 0, 1, 2


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


@dataclass
class Contract:
    contract_id: str
    acct: int
    start: int  # day index
    end: int
    plan: int
    seats: int
    annual_quota: int
    arr_jpy: int
    status: str


@dataclass
class Change:
    change_id: str
    acct: int
    contract_id: str
    day: int
    change_type: str
    delta_seats: int
    delta_arr_jpy: int


@dataclass
class World:
    start: date
    end: date
    days: int  # number of days in [start, end]
    n: int
    account_id: list[str]
    account_name: list[str]
    domain: list[str]
    segment: np.ndarray
    employees: np.ndarray
    industry: list[str]
    region: list[str]
    csm: list[str | None]
    created_day: np.ndarray  # CRM record created (day index, may be very negative)
    health: np.ndarray  # float32 (n, PRE + days): true health in 0..1
    neg_shocks: list[tuple[int, int]]  # (acct, day) of sharp drops
    is_customer: np.ndarray
    customer_since: np.ndarray  # day index of the first contract start (large if none)
    span_end: np.ndarray  # last day of the customer span (days + 10**6 when ongoing)
    churn_day: np.ndarray  # end day of the churned contract, or -10**6
    active: np.ndarray  # bool (n, PRE + days): a contract covers the day
    seats: np.ndarray  # int32 (n, PRE + days): seats in force incl. amendments
    contracts: list[Contract] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    # per-account behaviour parameters
    activity_mult: np.ndarray = field(default_factory=lambda: np.empty(0))
    core_lambda: np.ndarray = field(default_factory=lambda: np.empty(0))
    issue_base: np.ndarray = field(default_factory=lambda: np.empty(0))
    mobile_mult: np.ndarray = field(default_factory=lambda: np.empty(0))
    adv_base: np.ndarray = field(default_factory=lambda: np.empty(0))
    shared_prone: np.ndarray = field(default_factory=lambda: np.empty(0))
    integration_from: np.ndarray = field(default_factory=lambda: np.empty(0))  # day index
    # (acct, from_day, to_day, factor): advanced-feature bursts (feature_spike signal)
    adv_bursts: list[tuple[int, int, int, float]] = field(default_factory=list)
    # (acct, from_day, to_day): seat pressure before a seat_add (IDs issued up to the seats)
    seat_pressure: list[tuple[int, int, int]] = field(default_factory=list)
    csm_high: list[str] = field(default_factory=list)
    csm_pooled: list[str] = field(default_factory=list)

    def day(self, i: int) -> date:
        return self.start + timedelta(days=int(i))

    def h(self, acct: int, day: int) -> float:
        t = min(max(day + PRE, 0), PRE + self.days - 1)
        return float(self.health[acct, t])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def expected_core_per_seat_year(h: float, activity_mult: float, core_lambda: float) -> float:
    """Rough expected core_action events per seat and year at a constant health h.

    Mirrors the usage model (usage.py) closely enough to size quotas so that healthy
    accounts consume roughly 60-110% of their annual quota.
    """
    issue = min(1.0, max(0.15, 0.7 + 0.9 * (h - 0.5))) * 0.92  # IDs per seat, logged in
    issue *= 1 - (0.04 + 0.45 * (1 - h) ** 2)  # viewers never do the core action
    engaged = min(0.97, max(0.03, 1.4 * h - 0.2))
    p_day = min(0.95, activity_mult * 0.62 * (0.4 + 0.5 * h))
    days = 245 + 120 * 0.06
    active_days = days * (engaged * p_day + (1 - engaged) * 0.01)
    core = (0.3 + 0.6 * h) * (1 + core_lambda * (0.4 + h))
    return issue * active_days * core


def build_world(rng: np.random.Generator, n: int, start: date, end: date, seed: int) -> World:
    days = (end - start).days + 1
    T = PRE + days

    # --- accounts ---------------------------------------------------------------------
    seg = rng.choice(3, size=n, p=(0.55, 0.35, 0.10))
    emp = np.empty(n, dtype=np.int64)
    k = seg == TECH
    emp[k] = np.round(np.exp(rng.uniform(np.log(3), np.log(49.99), k.sum()))).astype(np.int64)
    k = seg == POOLED
    emp[k] = np.round(np.exp(rng.uniform(np.log(50), np.log(999.99), k.sum()))).astype(np.int64)
    k = seg == HIGH
    emp[k] = np.round(np.exp(rng.uniform(np.log(1000), np.log(30000), k.sum()))).astype(np.int64)
    emp = np.clip(emp, 1, None)
    # keep the segment consistent with the rounded head count
    seg = np.where(emp < 50, TECH, np.where(emp < 1000, POOLED, HIGH))

    names, domains = vocab.company_names(rng, n)
    industry = [vocab.INDUSTRIES[i] for i in rng.choice(10, size=n, p=vocab.INDUSTRY_WEIGHTS)]
    region = [vocab.REGIONS[i] for i in rng.choice(8, size=n, p=vocab.REGION_WEIGHTS)]
    team = vocab.csm_names(seed, vocab.CSM_TEAM_HIGH + vocab.CSM_TEAM_POOLED)
    csm_high, csm_pooled = team[: vocab.CSM_TEAM_HIGH], team[vocab.CSM_TEAM_HIGH :]
    u = rng.random(n)
    csm: list[str | None] = []
    for i in range(n):
        if seg[i] == HIGH:
            csm.append(csm_high[i % len(csm_high)])
        elif seg[i] == POOLED and u[i] < 0.45:
            csm.append(csm_pooled[i % len(csm_pooled)])
        else:
            csm.append(None)

    # --- true health: mean-reverting random walk in logit space with shocks ---------------
    base = rng.normal(0.55, 0.95, n)
    z = np.empty((n, T), dtype=np.float32)
    cur = base + rng.normal(0, 0.4, n)
    eps = rng.normal(0, 0.075, (n, T)).astype(np.float32)
    shock_mask = rng.random((n, T)) < 1 / 320
    shock_size = np.where(
        rng.random((n, T)) < 0.6, -rng.uniform(0.9, 2.0, (n, T)), rng.uniform(0.6, 1.5, (n, T))
    ).astype(np.float32)
    shocks = np.where(shock_mask, shock_size, 0).astype(np.float32)
    del shock_size
    # half of the drops are lasting (a champion leaves, a competitor moves in): they also
    # lower the level the walk reverts to, which heals only over months
    lasting = (shocks < 0) & (rng.random((n, T)) < 0.5)
    level = base.copy()
    for t in range(T):
        level = level + 0.003 * (base - level) + 0.8 * shocks[:, t] * lasting[:, t]
        cur = cur + 0.02 * (level - cur) + eps[:, t] + shocks[:, t]
        z[:, t] = cur
    del lasting
    health = _sigmoid(z).astype(np.float32)
    del z, eps
    neg = np.argwhere(shocks < -0.8)
    neg_shocks = [(int(a), int(t) - PRE) for a, t in neg if t >= PRE]
    del shocks, shock_mask

    # --- behaviour parameters ------------------------------------------------------------
    activity_mult = np.exp(rng.normal(0, 0.2, n))
    core_lambda = np.exp(rng.normal(np.log(3.5), 0.35, n))
    issue_base = rng.uniform(-0.08, 0.08, n)
    mobile_mult = np.exp(rng.normal(0, 0.5, n))
    adv_base = rng.uniform(0.1, 1.0, n)
    shared_prone = rng.random(n) < 0.15
    # an API integration runs from some day on (machine events under an admin ID)
    integration_from = np.where(rng.random(n) < 0.3, -(10**6), 10**6).astype(np.int64)

    # --- contracts ------------------------------------------------------------------------
    is_customer = rng.random(n) >= 0.05
    existing = is_customer & (rng.random(n) < 0.66)
    first_start = np.where(
        existing,
        -rng.integers(1, 366, n),
        rng.integers(0, max(days - 45, 1), n),
    )
    prior_years = rng.choice(5, size=n, p=(0.3, 0.25, 0.2, 0.15, 0.1))
    disc = rng.uniform(0.8, 1.0, n)

    w = World(
        start=start,
        end=end,
        days=days,
        n=n,
        account_id=[f"A{i + 1:06d}" for i in range(n)],
        account_name=names,
        domain=domains,
        segment=seg,
        employees=emp,
        industry=industry,
        region=region,
        csm=csm,
        created_day=np.zeros(n, dtype=np.int64),
        health=health,
        neg_shocks=neg_shocks,
        is_customer=is_customer,
        customer_since=np.full(n, 10**6, dtype=np.int64),
        span_end=np.full(n, -(10**6), dtype=np.int64),
        churn_day=np.full(n, -(10**6), dtype=np.int64),
        active=np.zeros((n, T), dtype=bool),
        seats=np.zeros((n, T), dtype=np.int32),
        activity_mult=activity_mult,
        core_lambda=core_lambda,
        issue_base=issue_base,
        mobile_mult=mobile_mult,
        adv_base=adv_base,
        shared_prone=shared_prone,
        integration_from=integration_from,
        csm_high=csm_high,
        csm_pooled=csm_pooled,
    )
    _contracts(w, rng, first_start, existing, prior_years, disc)

    # CRM record creation: before the first contract (a lead became an account), prospects
    # whenever they were entered.
    cs = w.customer_since
    w.created_day = np.where(
        is_customer, cs - rng.integers(7, 120, n), rng.integers(-700, days - 30, n)
    )
    return w


def _seat_count(rng: np.random.Generator, seg: int, emp: int) -> int:
    if seg == TECH:
        return max(3, round(emp * rng.uniform(0.35, 0.9)))
    if seg == POOLED:
        return max(10, round(emp * rng.uniform(0.07, 0.23)))
    return int(min(1400, max(50, round(emp * rng.uniform(0.014, 0.057)))))


def _contracts(
    w: World,
    rng: np.random.Generator,
    first_start: np.ndarray,
    existing: np.ndarray,
    prior_years: np.ndarray,
    disc: np.ndarray,
) -> None:
    days = w.days
    ctr = 0
    chg = 0
    pending: list[tuple[int, int, int, int, int, int, int, str]] = []
    for a in range(w.n):
        if not w.is_customer[a]:
            continue
        seg = int(w.segment[a])
        plan = {TECH: 0, POOLED: 1, HIGH: 3}[seg]
        if seg == POOLED and rng.random() < 0.3:
            plan = 2
        seats = _seat_count(rng, seg, int(w.employees[a]))
        unit = int(round(vocab.PLAN_PRICE[plan] * disc[a], -2))
        addon = 0
        s_date = w.day(int(first_start[a]))
        # history before the simulated window: renewed terms, a little smaller
        hist = int(prior_years[a]) if existing[a] else 0
        for y in range(hist, 0, -1):
            hs = add_years(s_date, -y)
            he = add_years(hs, 1) - timedelta(days=1)
            hseats = max(3, round(seats * (0.85 + 0.05 * (hist - y))))
            pending.append(
                (
                    a,
                    (hs - w.start).days,
                    (he - w.start).days,
                    plan,
                    hseats,
                    0,
                    hseats * unit,
                    "renewed",
                )
            )
        # mark customer_since
        w.customer_since[a] = (add_years(s_date, -hist) - w.start).days
        while True:
            s = (s_date - w.start).days
            e_date = add_years(s_date, 1) - timedelta(days=1)
            e = (e_date - w.start).days
            ctr += 1
            cid = f"CT{ctr:07d}"
            base_seats, base_plan, base_arr = seats, plan, seats * unit + addon
            mult = w.activity_mult[a]
            per_seat = vocab_quota_per_seat(rng, mult, w.core_lambda[a])
            quota = int(max(100, round(seats * per_seat, -2)))
            # mid-term amendments at monthly checkpoints
            cur_seats, cur_plan, cur_unit = seats, plan, unit
            for c in range(s + 30, min(e - 20, days - 1) + 1, 30):
                if c < -PRE + 60:
                    continue
                h = w.h(a, c)
                p_exp = 0.004 + 0.055 * min(1.0, max(0.0, (h - 0.5) / 0.35)) ** 1.5
                p_down = 0.02 * min(1.0, max(0.0, (0.42 - h) / 0.25))
                r = rng.random()
                ctype = None
                if r < p_exp:
                    q = rng.random()
                    if q < 0.55:
                        ctype = "seat_add"
                    elif q < 0.75 and cur_plan < 3:
                        ctype = "upgrade"
                    else:
                        ctype = "cross_sell"
                elif r < p_exp + p_down:
                    ctype = "seat_remove" if (rng.random() < 0.7 or cur_plan == 0) else "downgrade"
                if ctype is None:
                    continue
                cday = min(c + int(rng.integers(-10, 11)), days - 1)
                if ctype == "seat_add":
                    ds = max(2, int(np.ceil(cur_seats * rng.uniform(0.1, 0.4))))
                    da = ds * cur_unit
                    w.seat_pressure.append((a, cday - int(rng.integers(35, 70)), cday))
                    if rng.random() < 0.5:
                        w.adv_bursts.append((a, cday - 21, cday + 45, 2.5))
                elif ctype == "seat_remove":
                    ds = -max(1, int(np.ceil(cur_seats * rng.uniform(0.1, 0.3))))
                    if cur_seats + ds < 3:
                        continue
                    da = ds * cur_unit
                elif ctype == "upgrade":
                    new_unit = int(round(vocab.PLAN_PRICE[cur_plan + 1] * disc[a], -2))
                    ds, da = 0, cur_seats * (new_unit - cur_unit)
                    cur_plan, cur_unit = cur_plan + 1, new_unit
                    w.adv_bursts.append((a, cday - 28, cday + 60, 4.0))
                    if rng.random() < 0.6:
                        start_api = cday - int(rng.integers(14, 35))
                        w.integration_from[a] = min(w.integration_from[a], start_api)
                elif ctype == "downgrade":
                    new_unit = int(round(vocab.PLAN_PRICE[cur_plan - 1] * disc[a], -2))
                    ds, da = 0, cur_seats * (new_unit - cur_unit)
                    cur_plan, cur_unit = cur_plan - 1, new_unit
                else:  # cross_sell
                    ds = 0
                    da = int(
                        round(max(120_000, (cur_seats * cur_unit) * rng.uniform(0.15, 0.35)), -3)
                    )
                    addon += da
                    w.adv_bursts.append((a, cday - 28, cday + 60, 4.0))
                    if rng.random() < 0.6:
                        start_api = cday - int(rng.integers(14, 35))
                        w.integration_from[a] = min(w.integration_from[a], start_api)
                chg += 1
                w.changes.append(Change(f"CH{chg:07d}", a, cid, cday, ctype, ds, da))
                cur_seats += ds
                pt = max(cday + PRE, 0)
                w.seats[a, pt : e + PRE + 1] += ds
            t0, t1 = max(s + PRE, 0), min(e + PRE, PRE + days - 1)
            if t1 >= t0:
                w.active[a, t0 : t1 + 1] = True
                w.seats[a, t0 : t1 + 1] += base_seats
            if e >= days - 1:
                status = "active"
            else:
                lo, hi = max(e - 60 + PRE, 0), e + PRE + 1
                h_end = float(w.health[a, lo:hi].mean())
                p_churn = 0.02 + 0.8 / (1 + np.exp(10 * (h_end - 0.35)))
                status = "churned" if rng.random() < p_churn else "renewed"
            w.contracts.append(
                Contract(cid, a, s, e, base_plan, base_seats, quota, base_arr, status)
            )
            if status != "renewed":
                w.span_end[a] = e if status == "churned" else days + 10**6
                if status == "churned":
                    w.churn_day[a] = e
                break
            # renewal terms
            plan, unit = cur_plan, cur_unit
            if h_end > 0.6 and rng.random() < 0.55:
                seats = int(np.ceil(cur_seats * rng.uniform(1.05, 1.35)))
            elif h_end < 0.42 and rng.random() < 0.4:
                seats = max(3, int(np.floor(cur_seats * rng.uniform(0.7, 0.9))))
            else:
                seats = cur_seats
            s_date = e_date + timedelta(days=1)

    # history terms (before the simulated window) are numbered after the live ones
    for a, s, e, plan, hseats, _q, arr, status in pending:
        ctr += 1
        per_seat = vocab_quota_per_seat(rng, w.activity_mult[a], w.core_lambda[a])
        quota = int(max(100, round(hseats * per_seat, -2)))
        w.contracts.append(Contract(f"CT{ctr:07d}", a, s, e, plan, hseats, quota, arr, status))
        t0, t1 = max(s + PRE, 0), min(e + PRE, PRE + days - 1)
        if t1 >= t0:
            w.active[a, t0 : t1 + 1] = True
            w.seats[a, t0 : t1 + 1] += hseats
    # number contracts in the order they were signed, as a CRM would
    w.contracts.sort(key=lambda c: (c.start, c.acct))
    remap = {}
    for i, c in enumerate(w.contracts, start=1):
        remap[c.contract_id] = f"CT{i:07d}"
        c.contract_id = remap[c.contract_id]
    for ch in w.changes:
        ch.contract_id = remap[ch.contract_id]
    w.changes.sort(key=lambda c: (c.day, c.acct))
    for i, ch in enumerate(w.changes, start=1):
        ch.change_id = f"CH{i:07d}"


def vocab_quota_per_seat(rng: np.random.Generator, mult: float, lam: float) -> float:
    """Quota units per seat so that an account at health 0.8 uses 70-110% of it."""
    ref = expected_core_per_seat_year(0.8, float(mult), float(lam))
    return ref / rng.uniform(0.7, 1.1)
