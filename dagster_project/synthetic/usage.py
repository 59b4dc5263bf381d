"""Product users (usage/users.parquet) and daily usage (usage/daily/YYYY/MM/*.parquet).

Users are simulated week by week for all accounts at once: each account issues IDs up to
``seats x issue rate`` (the rate follows its health, reaches the seats before a seat_add),
people leave (more when health is low) and every ID is deactivated when the account churns.

Usage is generated one day at a time, vectorised over all users: a user is eligible on a
day when the ID exists, has logged in and the account has an active contract. Whether an
eligible user is active, which features they use and how much follows the account's
health on that day, the weekday and Japanese holidays. Memory stays bounded by one day.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .world import HIGH, POOLED, PRE, World

FEATURES = (
    "web_session",
    "mobile_session",
    "core_action",
    "search",
    "export",
    "share",
    "integration",
)
NEVER = 10**7  # "no such day"
PARQUET_OPTS = dict(
    compression="zstd",
    compression_level=1,
    use_dictionary=True,
    write_statistics=True,
    version="2.6",
    data_page_version="1.0",
)

# Fixed-date Japanese public holidays and customary company holidays (month, day).
_HOLIDAYS = {
    (1, 1),
    (1, 2),
    (1, 3),
    (2, 11),
    (2, 23),
    (3, 20),
    (4, 29),
    (5, 3),
    (5, 4),
    (5, 5),
    (5, 6),
    (8, 11),
    (8, 13),
    (8, 14),
    (8, 15),
    (9, 23),
    (11, 3),
    (11, 23),
    (12, 29),
    (12, 30),
    (12, 31),
}


def day_weight(d: date) -> float:
    """Business-day shape: weekdays 1, Saturdays 0.07, Sundays and holidays ~0.05."""
    if (d.month, d.day) in _HOLIDAYS:
        return 0.06
    return (1.0, 1.0, 1.0, 1.0, 1.0, 0.07, 0.04)[d.weekday()]


@dataclass
class Users:
    acct: np.ndarray  # int64 account index
    user_num: np.ndarray  # int64: user_id = U + 7 digits, issued in creation order
    user_id: list[str]
    role_admin: np.ndarray  # bool
    created_day: np.ndarray
    created_sec: np.ndarray
    login_day: np.ndarray  # NEVER when never logged in (as of the export)
    login_sec: np.ndarray
    deact_day: np.ndarray  # NEVER when still active (as of the export)
    deact_sec: np.ndarray
    propensity: np.ndarray  # float32 activity propensity
    engage_rank: np.ndarray  # float32: disengages when above the account's engaged share
    mobile: np.ndarray  # float32 mobile affinity
    shared: np.ndarray  # bool: an ID shared by several people
    viewer: np.ndarray  # bool: never does the core action

    def __len__(self) -> int:
        return len(self.acct)


def _seconds(rng: np.random.Generator, k: int) -> np.ndarray:
    """Office-hour seconds in a day (mostly 8:30-19:00 JST)."""
    hours = np.clip(rng.normal(13.0, 2.6, k), 7.0, 22.9)
    return (hours * 3600).astype(np.int64)


def _rank_in_group(groups: np.ndarray) -> np.ndarray:
    """Rank of each element within its group, for an array already grouped (sorted)."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(groups[1:] != groups[:-1]) + 1]
    lengths = np.diff(np.r_[starts, len(groups)])
    return np.arange(len(groups)) - np.repeat(starts, lengths)


def simulate_users(w: World, rng: np.random.Generator) -> Users:
    n, days = w.n, w.days
    admin_target = np.where(w.segment == HIGH, 4, np.where(w.segment == POOLED, 2, 1))
    pressure = np.zeros((n, PRE + days), dtype=bool)
    for a, d0, d1 in w.seat_pressure:
        pressure[a, max(d0 + PRE, 0) : max(d1 + PRE + 1, 0)] = True

    chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("acct", "cday", "csec", "admin")}
    deact = np.zeros(0, dtype=np.int64)
    u_acct = np.zeros(0, dtype=np.int64)
    u_admin = np.zeros(0, dtype=bool)

    for t in range(-PRE, days, 7):
        ti = t + PRE
        act = w.active[:, ti]
        h = w.health[:, ti]
        seats = w.seats[:, ti].astype(np.int64)
        age = t - w.customer_since
        ramp = np.clip((age + 7) / 42.0, 0.0, 1.0)
        rate = np.clip(0.7 + w.issue_base + 0.9 * (h - 0.5), 0.15, 1.0) * ramp
        rate = np.where(pressure[:, ti], 1.0, rate)
        target = np.where(act, np.minimum(np.floor(seats * rate + 0.5), seats), 0).astype(np.int64)

        if len(u_acct):
            alive = deact > t
            a_act = act[u_acct]
            # churned / lapsed accounts: every live ID is closed shortly after the end
            close = alive & ~a_act
            if close.any():
                end_day = w.span_end[u_acct[close]]
                deact[close] = np.maximum(end_day + 1, t) + rng.integers(0, 4, close.sum())
            # turnover: people leave (more when the account is unhealthy)
            live = alive & a_act
            q = 0.0015 + 0.006 * (1 - h[u_acct]) ** 2
            leave = live & (rng.random(len(u_acct)) < q)
            deact[leave] = t + rng.integers(0, 7, leave.sum())
            live &= ~leave
            count = np.bincount(u_acct[live], minlength=n)
            # over the licence or far over the target: remove the excess
            cap = np.minimum(seats, np.ceil(target * 1.25) + 1).astype(np.int64)
            excess = np.where(act, count - cap, 0)
            if (excess > 0).any():
                cand = np.flatnonzero(live & (excess[u_acct] > 0) & ~u_admin)
                order = cand[np.lexsort((rng.random(len(cand)), u_acct[cand]))]
                rk = _rank_in_group(u_acct[order])
                drop = order[rk < excess[u_acct[order]]]
                deact[drop] = t + rng.integers(0, 7, len(drop))
                live[drop] = False
                count = np.bincount(u_acct[live], minlength=n)
            admins = np.bincount(u_acct[live & u_admin], minlength=n)
        else:
            count = np.zeros(n, dtype=np.int64)
            admins = np.zeros(n, dtype=np.int64)

        new = np.maximum(target - count, 0)
        if not new.any():
            continue
        accts = np.repeat(np.arange(n), new)
        rk = _rank_in_group(accts)
        is_admin = rk < np.maximum(admin_target - admins, 0)[accts]
        if t == -PRE:
            # IDs that existed before the simulated window: spread back to customer_since
            lo = np.maximum(w.customer_since[accts], -PRE - 3 * 365)
            cday = lo + (rng.random(len(accts)) * (t - lo + 1)).astype(np.int64)
            cday = np.where(is_admin, lo + rng.integers(0, 10, len(accts)), cday)
            cday = np.minimum(cday, t)
        else:
            cday = t + rng.integers(0, 7, len(accts))
            cday = np.minimum(cday, np.minimum(w.span_end[accts], days - 1))
        chunks["acct"].append(accts)
        chunks["cday"].append(cday)
        chunks["csec"].append(_seconds(rng, len(accts)))
        chunks["admin"].append(is_admin)
        u_acct = np.concatenate([u_acct, accts])
        u_admin = np.concatenate([u_admin, is_admin])
        deact = np.concatenate([deact, np.full(len(accts), NEVER, dtype=np.int64)])

    acct = np.concatenate(chunks["acct"]) if chunks["acct"] else np.zeros(0, np.int64)
    cday = np.concatenate(chunks["cday"]) if chunks["cday"] else np.zeros(0, np.int64)
    csec = np.concatenate(chunks["csec"]) if chunks["csec"] else np.zeros(0, np.int64)
    admin = np.concatenate(chunks["admin"]) if chunks["admin"] else np.zeros(0, bool)
    m = len(acct)
    deact = np.where(deact >= days, NEVER, deact)
    dsec = _seconds(rng, m)

    # first login: most within days, admins at once; some never (more when unhealthy)
    hc = w.health[acct, np.clip(cday + PRE, 0, PRE + days - 1)]
    never = rng.random(m) < np.where(admin, 0.005, 0.03 + 0.5 * (1 - hc) ** 2)
    # viewers only read and approve: they never do the core action (more when unhealthy)
    viewer = ~admin & (rng.random(m) < 0.04 + 0.45 * (1 - hc) ** 2)
    delay = np.floor(rng.exponential(0.6 + 5.0 * (1 - hc))).astype(np.int64)
    delay = np.where(admin, 0, delay)
    lday = cday + delay
    lsec = np.where(
        delay == 0, np.minimum(csec + rng.integers(60, 3 * 3600, m), 86_399), _seconds(rng, m)
    )
    never |= (lday >= days) | (lday >= deact)
    lday = np.where(never, NEVER, lday)

    # order: by creation time -> user ids; keep arrays sorted by (account, user id)
    by_time = np.lexsort((acct, csec, cday))
    uid_num = np.empty(m, dtype=np.int64)
    uid_num[by_time] = np.arange(1, m + 1)
    order = np.lexsort((uid_num, acct))

    def o(x: np.ndarray) -> np.ndarray:
        return x[order]

    acct, admin, cday, csec, lday, lsec, deact, dsec, viewer = map(
        o, (acct, admin, cday, csec, lday, lsec, deact, dsec, viewer)
    )
    uid_num = uid_num[order]
    propensity = np.where(admin, rng.beta(5, 1.5, m), rng.beta(2.2, 1.4, m)).astype(np.float32)
    engage = np.where(admin, rng.uniform(0.05, 0.5, m), rng.random(m)).astype(np.float32)
    mobile = np.where(
        rng.random(m) < 0.35, rng.uniform(0.25, 0.8, m), rng.uniform(0, 0.04, m)
    ).astype(np.float32)
    shared = rng.random(m) < np.where(w.shared_prone[acct], 0.06, 0.003)
    return Users(
        acct=acct,
        user_num=uid_num,
        user_id=[f"U{int(x):07d}" for x in uid_num],
        role_admin=admin,
        created_day=cday,
        created_sec=csec,
        login_day=lday,
        login_sec=lsec,
        deact_day=deact,
        deact_sec=dsec,
        propensity=propensity,
        engage_rank=engage,
        mobile=mobile,
        shared=shared,
        viewer=viewer,
    )


def _ts(start: date, day: np.ndarray, sec: np.ndarray) -> pa.Array:
    base = np.datetime64(start, "s")
    valid = day < NEVER
    vals = base + (np.where(valid, day, 0) * 86_400 + sec).astype("timedelta64[s]")
    return pa.array(vals, type=pa.timestamp("s"), mask=~valid)


def write_users(w: World, u: Users, out: Path) -> int:
    order = np.argsort(u.user_num)
    roles = pa.array(["member", "admin"], pa.string())
    table = pa.table(
        {
            "user_id": pa.array(u.user_id, pa.string()).take(order),
            "account_id": pa.array(w.account_id, pa.string()).take(u.acct[order]),
            "role": roles.take(u.role_admin[order].astype(np.int64)),
            "created_at": _ts(w.start, u.created_day[order], u.created_sec[order]),
            "first_login_at": _ts(w.start, u.login_day[order], u.login_sec[order]),
            "deactivated_at": _ts(w.start, u.deact_day[order], u.deact_sec[order]),
        }
    )
    path = out / "usage" / "users.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **PARQUET_OPTS)
    return table.num_rows


def write_daily(
    w: World,
    u: Users,
    out: Path,
    seed: int,
    progress: Callable[[str], None],
) -> int:
    n, days = w.n, w.days
    burst = np.ones((n, days), dtype=np.float32)
    for a, d0, d1, f in w.adv_bursts:
        lo, hi = max(d0, 0), min(d1 + 1, days)
        if hi > lo:
            burst[a, lo:hi] *= f
    pressure = np.zeros((n, days), dtype=bool)
    for a, d0, d1 in w.seat_pressure:
        lo, hi = max(d0, 0), min(d1 + 1, days)
        if hi > lo:
            pressure[a, lo:hi] = True

    acct_ids = pa.array(w.account_id, pa.string())
    user_ids = pa.array(u.user_id, pa.string())
    feature_names = pa.array(FEATURES, pa.string())
    lam_fixed = np.array([0.0, 1.0, 0.0, 2.0, 1.5, 1.5, 25.0], dtype=np.float64)
    total = 0
    month_rows = 0
    month_days = 0
    # Parquet encoding releases the GIL: write day d on a thread while day d+1 is drawn
    # (at most two days in memory).
    pool = ThreadPoolExecutor(max_workers=1)
    pending: Future | None = None
    for d in range(days):
        day = w.start + timedelta(days=d)
        rng = np.random.default_rng([seed, 0xDA17, d])
        wd = day_weight(day)
        ti = d + PRE
        h_a = w.health[:, ti].astype(np.float64)
        ramp_a = np.clip((d - w.customer_since + 10) / 40.0, 0.3, 1.0)
        base_a = wd * w.activity_mult * (0.4 + 0.5 * h_a) * ramp_a
        share_a = np.clip(1.4 * h_a - 0.2, 0.03, 0.97)
        adv_a = w.adv_base * (0.5 + h_a) * burst[:, d]

        elig = np.flatnonzero(
            (u.created_day <= d) & (u.login_day <= d) & (u.deact_day > d) & w.active[u.acct, ti]
        )
        a = u.acct[elig]
        engaged = u.engage_rank[elig] < share_a[a]
        p = np.where(engaged, base_a[a] * u.propensity[elig], 0.01 * wd)
        on = (rng.random(len(elig)) < np.minimum(p, 0.97)) | (u.login_day[elig] == d)
        idx = elig[on]
        a = u.acct[idx]
        h = h_a[a]
        k = len(idx)
        probs = np.empty((k, 7), dtype=np.float64)
        probs[:, 0] = 0.93
        probs[:, 1] = np.minimum(u.mobile[idx] * w.mobile_mult[a] * (0.35 + 0.65 * h), 0.95)
        probs[:, 2] = np.where(u.viewer[idx], 0.0, 0.3 + 0.6 * h)
        probs[:, 3] = 0.35 + 0.2 * h
        probs[:, 4] = np.minimum(adv_a[a] * 0.10, 0.9)
        probs[:, 5] = np.minimum(adv_a[a] * 0.08, 0.9)
        probs[:, 6] = np.where(u.role_admin[idx] & (d >= w.integration_from[a]), 0.9, 0.0)
        used = rng.random((k, 7)) < probs
        used[:, 0] |= ~used.any(axis=1)
        ri, fi = np.nonzero(used)
        lam = lam_fixed[fi]
        lam = np.where(fi == 0, 1.2 + h[ri], lam)
        lam = np.where(fi == 2, w.core_lambda[a[ri]] * (0.4 + h[ri]), lam)
        events = 1 + rng.poisson(lam)
        dev = 1 + (used[:, 0] & used[:, 1]).astype(np.int64)
        sharing = (u.shared[idx] & (rng.random(k) < 0.6)) | (
            pressure[a, d] & (rng.random(k) < 0.08)
        )
        dev = np.where(sharing, 3 + rng.poisson(0.7, k), dev)
        m = len(ri)
        table = pa.table(
            {
                "activity_date": pa.array(np.full(m, np.datetime64(day, "D")), pa.date32()),
                "account_id": acct_ids.take(pa.array(a[ri])),
                "user_id": user_ids.take(pa.array(idx[ri])),
                "feature": feature_names.take(pa.array(fi)),
                "event_count": pa.array(events.astype(np.int64)),
                "devices": pa.array(dev[ri].astype(np.int64)),
            }
        )
        path = out / "usage" / "daily" / f"{day:%Y}" / f"{day:%m}" / f"usage_{day:%Y-%m-%d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        if pending is not None:
            pending.result()
        pending = pool.submit(pq.write_table, table, path, **PARQUET_OPTS)
        total += m
        month_rows += m
        month_days += 1
        nxt = day + timedelta(days=1)
        if nxt.month != day.month or d == days - 1:
            progress(f"usage {day:%Y-%m}: {month_days} days, {month_rows / 1e6:.2f}M rows")
            month_rows = month_days = 0
    if pending is not None:
        pending.result()
    pool.shutdown()
    return total
