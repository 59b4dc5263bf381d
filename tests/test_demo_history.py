"""The demo looks lived in: CSM pulses, overrides and CTA outcomes drawn from the hidden world.

The first half checks the writers on a regenerated world (no pipeline: fast); the second
half checks the demo `make run` builds (fixture demo_published: generate, run, outcomes for
the CTAs raised, run again).
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from dagster_project.seeds import read_seed
from dagster_project.synthetic import csm_history as ch
from dagster_project.synthetic.generator import hidden_world
from dagster_project.synthetic.world import HIGH, POOLED, PRE
from tests.support import query

ACCOUNTS, SEED = 300, 7


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.csv"))
    }


@pytest.fixture(scope="module")
def world():
    return hidden_world(ACCOUNTS, SEED)


def _write_inputs(w, out: Path) -> Path:
    ch.write_pulses(w, ch.stream(SEED, ch.PULSE_STREAM), out)
    ch.write_overrides(w, ch.stream(SEED, ch.OVERRIDE_STREAM), out)
    return out


def fake_ledger(w) -> list[ch.Cta]:
    """CTAs on every active account every 4 weeks, alternating offense and defense: the
    pipeline's ledger stands in for a ledger (ids are arbitrary to the writer)."""
    ctas = []
    for t in range(0, w.days - 1, 28):
        for a in range(w.n):
            if w.active[a, t + PRE]:
                direction = ("offense", "defense")[(a + t // 28) % 2]
                ctas.append(
                    ch.Cta(
                        f"cta-{a}-{t}",
                        w.account_id[a],
                        "quota_80" if direction == "offense" else "health_drop",
                        direction,
                        w.day(t),
                        w.csm[a],
                        "csm" if w.csm[a] else "inside_sales",
                    )
                )
    return ctas


def test_pulses_and_overrides_same_seed_same_bytes(world, tmp_path):
    a = digest(_write_inputs(world, tmp_path / "a"))
    b = digest(_write_inputs(hidden_world(ACCOUNTS, SEED), tmp_path / "b"))
    assert a == b and any(k.startswith("cs_inputs/pulse_") for k in a)
    c = digest(_write_inputs(hidden_world(ACCOUNTS, SEED + 1), tmp_path / "c"))
    assert a != c


def test_pulses_follow_the_hidden_health_and_some_are_stale(world, tmp_path):
    out = _write_inputs(world, tmp_path)
    rows = [r for p in sorted((out / "cs_inputs").glob("pulse_*.csv")) for r in read_csv(p)]
    assert len(rows) > 100
    index = {aid: i for i, aid in enumerate(world.account_id)}
    health, pulses, latest = [], [], {}
    for r in rows:
        a = index[r["account_id"]]
        assert world.segment[a] in (HIGH, POOLED) and r["recorded_by"] == world.csm[a]
        day = (datetime.fromisoformat(r["recorded_at"]).date() - world.start).days
        assert 0 <= day < world.days and world.active[a, day + PRE]
        health.append(world.h(a, day))
        pulses.append(int(r["pulse"]))
        latest[a] = max(latest.get(a, day), day)
    assert set(pulses) <= {1, 2, 3, 4, 5} and len(set(pulses)) >= 4
    assert np.corrcoef(health, pulses)[0, 1] > 0.6
    last = world.days - 1
    stale = sum(last - d > 90 for d in latest.values())
    assert 0 < stale < len(latest) / 2, "some CSMs stopped recording: pulses older than 90 days"


def test_overrides_expired_active_and_expiring_soon(world, tmp_path):
    rows = read_csv(_write_inputs(world, tmp_path) / "cs_inputs" / "overrides.csv")
    d = world.end
    states = set()
    for r in rows:
        set_on = datetime.fromisoformat(r["set_at"]).date()
        expires = date.fromisoformat(r["expires_on"]) if r["expires_on"] else None
        effective = expires or set_on + timedelta(days=90)
        assert set_on <= effective <= set_on + timedelta(days=180), r
        assert 0 <= int(r["override_score"]) <= 100 and r["reason"] and r["set_by"]
        states.add(
            "expired"
            if effective < d
            else "expiring"
            if effective <= d + timedelta(days=14)
            else "active"
        )
    assert len(rows) == max(3, round(ACCOUNTS * 0.012)) and len({r["account_id"] for r in rows})
    assert states == {"expired", "active", "expiring"}


def test_outcomes_deterministic_in_window_with_reasons_and_won_where_expanded(world, tmp_path):
    ctas = fake_ledger(world)
    d = world.end
    n = ch.write_outcomes(world, ctas, d, SEED, tmp_path / "a")
    ch.write_outcomes(world, ctas, d, SEED, tmp_path / "b")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    rows = read_csv(tmp_path / "a" / "cta_actions" / ch.OUTCOMES_FILE)
    assert len(rows) == n > len(ctas) / 2
    by_id = {c.cta_id: c for c in ctas}
    codes = {(r["outcome"], r["reason_code"]) for r in read_seed("close_reasons")}
    latest: dict[str, tuple[str, str]] = {}
    for r in rows:
        cta = by_id[r["cta_id"]]
        on = datetime.fromisoformat(r["recorded_at"]).date()
        assert cta.triggered_on <= on <= d, r
        if r["outcome"] in ("lost", "dismissed"):
            assert (r["outcome"], r["reason_code"]) in codes, r
        else:
            assert not r["reason_code"], r
        assert bool(r["snooze_until"]) == (r["outcome"] == "snoozed"), r
        if r["snooze_until"]:
            assert date.fromisoformat(r["snooze_until"]) > on
        latest[r["cta_id"]] = max(
            latest.get(r["cta_id"], ("", "")), (r["recorded_at"], r["outcome"])
        )
    assert len({(r["cta_id"], r["recorded_at"]) for r in rows}) == len(rows), "key is unique"
    final = [o for _, o in latest.values()]
    for outcome in ("contacted", "won", "lost", "dismissed", "no_response", "snoozed"):
        assert outcome in final, outcome
    assert 0.1 < 1 - len(latest) / len(ctas) < 0.5, "a share of the CTAs stays untouched"
    # offense CTAs are won far more often where the account expanded within 180 days
    expansions = ch._expansion_days(world)
    won = {True: [0, 0], False: [0, 0]}
    for c in ctas:
        if c.direction != "offense" or c.cta_id not in latest:
            continue
        t = (c.triggered_on - world.start).days
        grew = any(
            t < x <= min(t + 180, world.days - 1)
            for x in expansions.get(world.account_id.index(c.account_id), [])
        )
        won[grew][0] += latest[c.cta_id][1] == "won"
        won[grew][1] += 1
    rate = {k: v[0] / v[1] for k, v in won.items() if v[1]}
    assert rate[True] > 2 * rate[False], rate


def test_history_refuses_a_serving_copy_of_another_world(world, tmp_path):
    other = hidden_world(ACCOUNTS, SEED + 1)
    names = dict(zip(other.account_id, other.account_name, strict=True))
    with pytest.raises(ValueError, match="--seed"):
        ch.check_world(world, names, tmp_path / "serving.duckdb")


# --- the demo `make run` builds ---------------------------------------------------------------


def test_demo_has_won_ctas_and_conversion_rates(demo_published):
    serving = demo_published.serving
    [(won, raised)] = query(
        serving,
        "select sum(ctas_won), sum(ctas_raised) from marts.mart_kpi_monthly where segment = 'all'",
    )
    assert won > 0 and raised > won
    rules = query(serving, "select cta_type, conversion_rate from marts.mart_cta_effectiveness")
    with_rate = [t for t, rate in rules if rate is not None]
    assert len(with_rate) >= 0.8 * len(rules), rules
    statuses = dict(
        query(serving, "select status, count(*) from marts.fct_cta_candidates group by 1")
    )
    for status in ("done", "dismissed", "open", "expired"):
        assert statuses.get(status, 0) > 0, statuses
    # CTAs still snoozed at D (status snoozed, section 11): their snooze_until lies after D
    [(snoozed,)] = query(
        demo_published.warehouse,
        "select count(*) from staging.stg_cta_actions__outcomes o "
        "where o.outcome = 'snoozed' and o.snooze_until > "
        "(select max(raised_as_of) from marts.fct_cta_candidates) "
        "and o.recorded_at = (select max(recorded_at) from staging.stg_cta_actions__outcomes l "
        "where l.cta_id = o.cta_id)",
    )
    assert snoozed > 0


def test_demo_history_loads_clean(demo_published):
    wh = demo_published.warehouse
    bad = query(
        wh,
        "select source, file, reason from dq.quarantine "
        "where source in ('cta_actions', 'cs_inputs') or file like '%cs_inputs%' "
        "or file like '%cta_actions%'",
    )
    assert bad == []
    [(missing,)] = query(
        wh,
        "select count(*) from raw.cta_actions__outcomes "
        "where outcome in ('lost', 'dismissed') and reason_code is null",
    )
    assert missing == 0
    [(pulses, overrides)] = query(
        wh,
        "select (select count(*) from raw.cs_inputs__pulse), "
        "(select count(*) from raw.cs_inputs__overrides)",
    )
    assert pulses > 500 and overrides >= 6
