"""What people add to the score (CONTRACT section 11), through the real pipeline on the tiny
generated landing zone:

    base      the tiny zone as generated (published_tiny, shared with other test modules)
    override  the same zone plus cs_inputs/overrides: one override around a health_drop or
              health_jump CTA the base run raised (it must not fire under it), one expiring
              within 14 days of D
    late      the override warehouse, run again at the same D after a late delivery of
              pulses: one recorded at an old grid day (it rebuilds that account's history
              from its day, and nothing else), one older than 90 days at every snapshot
              from D-70 on

The dbt unit tests (int_health_overrides, int_health_pulse_metrics, int_health_metric_scores,
int_cta_signals_health, fct_health_overrides, mart_health_calibration) pin the same rules on
hand-made rows; these tests show them end to end.
"""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support import cswh_env, published_tiny, query_dicts, run_cswh

pytestmark = pytest.mark.slow

HEALTH_RULES = ("health_drop", "health_jump")
BUILD_COLUMNS = {"_built_at", "_inputs_loaded_at", "_seeds_hash"}


_rows = query_dicts  # rows as dicts by column name


def _health(db: Path) -> dict:
    return {
        (r["account_id"], r["snapshot_date"]): r
        for r in _rows(db, "select * from marts.fct_account_health")
    }


def _run(env: dict) -> None:
    result = run_cswh("run", env=env, timeout=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> dict:
    base = published_tiny(tmp_path_factory, tiny_zone)
    out: dict = {"base": base.serving}
    (d,) = _rows(base.serving, "select max(as_of_date) as d from dq.publish_log")[0].values()
    out["d"] = d
    health = _health(base.serving)
    grid = sorted({s for (_, s) in health if s.isoweekday() == 7})
    # a health CTA of the base run with grid days a week before and two weeks after it
    fired = _rows(
        base.serving,
        "select account_id, cta_type, triggered_on from marts.fct_cta_candidates "
        f"where cta_type in {HEALTH_RULES} order by triggered_on, account_id",
    )
    fired = [
        r
        for r in fired
        if (r["account_id"], r["triggered_on"] - timedelta(days=7)) in health
        and (r["account_id"], r["triggered_on"] + timedelta(days=14)) in health
        and r["triggered_on"] - timedelta(days=7) in grid
    ]
    assert fired, "the base run raised no health_drop / health_jump CTA to override"
    target = fired[0]
    account, t = target["account_id"], target["triggered_on"]
    computed = health[(account, t)]["health_tier"]
    score = 95 if computed in ("at_risk", "critical") else 10  # an effective tier of its own
    # applies from t-3 through t+10: grid days t and t+7; not t-7 (before), not t+14 (after)
    out["override"] = {
        "account": account,
        "cta_type": target["cta_type"],
        "set_on": t - timedelta(days=3),
        "expires_on": t + timedelta(days=10),
        "score": score,
        "before": t - timedelta(days=7),
        "inside": [t, t + timedelta(days=7)],
        "after": t + timedelta(days=14),
    }
    # a second override, on another active account with a CSM, expiring 5 days after D
    at_d = sorted(
        r["account_id"]
        for r in _rows(
            base.serving,
            "select account_id from marts.dim_accounts "
            "where is_active_customer and csm_owner is not null",
        )
        if r["account_id"] != account
    )
    out["expiring"] = at_d[0]

    root = tmp_path_factory.mktemp("overrides")
    shutil.copytree(tiny_zone, root / "raw")
    env = cswh_env(root)
    o = out["override"]
    _csv(
        root / "raw" / "cs_inputs" / "overrides_2026-11-01.csv",
        ["override_id", "account_id", "set_at", "set_by", "override_score", "reason", "expires_on"],
        [
            ["OV-1", account, f"{o['set_on']} 18:30:00", "cs_ops", score, "検証: 手動補正", o["expires_on"]],
            ["OV-2", out["expiring"], f"{d - timedelta(days=20)} 09:00:00", "csm", 55, "更新交渉中", d + timedelta(days=5)],
        ],
    )  # fmt: skip
    _run(env)
    serving = Path(env["CSWH_SERVING"])
    out["override_serving"] = serving
    out["override_health"] = _health(serving)

    # late pulses, the same D: Z at an old grid day, W long before the last 90 days
    pulse_day = grid[-10]  # a grid day 10 weeks back
    # accounts active at D and four weeks before the pulse day, so history before it exists
    others = sorted(
        a
        for (a, s) in out["override_health"]
        if s == d
        and (a, pulse_day - timedelta(days=28)) in out["override_health"]
        and a not in (account, out["expiring"])
    )
    out["pulse"] = {"z": others[0], "w": others[1], "day": pulse_day}
    _csv(
        root / "raw" / "cs_inputs" / "pulse_2026-11-02_late.csv",
        ["pulse_id", "account_id", "recorded_at", "recorded_by", "pulse", "note"],
        [
            ["PU-1", others[0], f"{pulse_day} 11:00:00", "csm", 1, "解約を検討中"],
            ["PU-2", others[1], f"{d - timedelta(days=160)} 11:00:00", "csm", 5, None],
        ],
    )
    _run(env)
    out["late_health"] = _health(serving)
    out["late_metrics"] = {
        (r["account_id"], r["snapshot_date"], r["metric"]): r
        for r in _rows(serving, "select * from marts.fct_health_metrics")
    }
    return out


# --- overrides -----------------------------------------------------------------------------


def test_an_override_applies_from_its_set_day_to_its_expiry_and_not_after(runs) -> None:
    o, health = runs["override"], runs["override_health"]
    tier = "excellent" if o["score"] == 95 else "critical"
    for day in (o["before"], o["after"]):
        row = health[(o["account"], day)]
        assert row["override_score"] is None and row["override_expires_on"] is None, day
        assert row["effective_health_score"] == row["health_score"], day
        assert row["effective_health_tier"] == row["health_tier"], day
    for day in o["inside"]:
        row = health[(o["account"], day)]
        assert row["override_score"] == o["score"], day
        assert row["override_reason"] == "検証: 手動補正"
        assert row["override_expires_on"] == o["expires_on"]
        assert row["effective_health_score"] == o["score"]
        assert (row["effective_health_tier"], row["effective_health_tier_ja"]) != (
            row["health_tier"],
            row["health_tier_ja"],
        )
        assert row["effective_health_tier"] == tier


def test_the_computed_score_and_calibration_are_unchanged_by_overrides(runs) -> None:
    base = _health(runs["base"])
    over = runs["override_health"]
    assert base.keys() == over.keys()
    computed = ("health_score", "health_tier", "health_score_change_28d", "engagement_score")
    assert all(
        tuple(base[k][c] for c in computed) == tuple(over[k][c] for c in computed) for k in base
    )
    # contributions still sum to the computed score under an override
    bad = _rows(
        runs["override_serving"],
        "select h.account_id, h.snapshot_date from marts.fct_account_health h "
        "join marts.fct_health_metrics m using (account_id, snapshot_date) "
        "where h.override_score is not null "
        "group by h.account_id, h.snapshot_date, h.health_score "
        "having abs(h.health_score - sum(m.contribution)) > 1e-6",
    )
    assert bad == []
    calibration = "select * exclude (as_of_date) from marts.mart_health_calibration order by 1"
    assert _rows(runs["base"], calibration) == _rows(runs["override_serving"], calibration)


def test_health_drop_and_jump_do_not_fire_while_an_override_applies(runs) -> None:
    o = runs["override"]
    query = (
        "select cta_type, triggered_on from marts.fct_cta_candidates "
        f"where account_id = '{o['account']}' and cta_type in {HEALTH_RULES} "
        f"and triggered_on between '{o['set_on']}' and '{o['expires_on']}'"
    )
    assert (o["cta_type"], o["inside"][0]) in {
        (r["cta_type"], r["triggered_on"]) for r in _rows(runs["base"], query)
    }
    assert _rows(runs["override_serving"], query) == []


def test_overrides_are_listed_with_status_and_expiry_for_their_owner(runs) -> None:
    listed = {
        r["override_id"]: r
        for r in _rows(runs["override_serving"], "select * from marts.fct_health_overrides")
    }
    # the test's two beside the generator's own (cs_inputs/overrides.csv of the tiny zone)
    assert {"OV-1", "OV-2"} <= set(listed)
    assert set(listed) - {"OV-1", "OV-2"} == {
        r["override_id"]
        for r in _rows(runs["base"], "select override_id from marts.fct_health_overrides")
    }
    expired, expiring = listed["OV-1"], listed["OV-2"]
    assert expired["status"] == "expired" and not expired["is_expiring_soon"]
    assert expired["days_to_expiry"] < 0
    assert expiring["status"] == "active" and expiring["is_expiring_soon"]
    assert expiring["days_to_expiry"] == 5 and expiring["as_of_date"] == runs["d"]
    owner = _rows(
        runs["override_serving"],
        f"select csm_owner from marts.dim_accounts where account_id = '{runs['expiring']}'",
    )[0]["csm_owner"]
    assert expiring["csm_owner"] == owner
    # at D the override is the effective score in dim_accounts, the computed one beside it
    account = _rows(
        runs["override_serving"],
        "select health_score, override_score, effective_health_score from marts.dim_accounts "
        f"where account_id = '{runs['expiring']}'",
    )[0]
    assert account["override_score"] == 55 and account["effective_health_score"] == 55
    assert account["health_score"] is not None


def test_at_risk_accounts_count_effective_tiers(runs) -> None:
    d = runs["d"]
    (kpi,) = _rows(
        runs["override_serving"],
        "select at_risk_accounts from marts.mart_kpi_monthly where segment = 'all' "
        f"and health_snapshot_date = '{d}'",
    )
    effective = sum(
        r["effective_at_risk"] for (a, s), r in runs["override_health"].items() if s == d
    )
    assert kpi["at_risk_accounts"] == effective
    at_d = runs["override_health"][(runs["expiring"], d)]
    assert at_d["effective_health_tier"] == "at_risk" and at_d["effective_at_risk"] == 1


# --- the CSM pulse, arriving late ----------------------------------------------------------


def test_a_late_pulse_counts_for_90_days_and_rebuilds_only_its_account_from_its_day(runs) -> None:
    p, d = runs["pulse"], runs["d"]
    before, after, metrics = runs["override_health"], runs["late_health"], runs["late_metrics"]
    z, day = p["z"], p["day"]
    last = day + timedelta(days=89)  # recorded on S-89..S counts at S
    for account, s in after:
        if account != z:
            continue
        value = metrics[(z, s, "csm_pulse")]["value"]
        assert value == (1 if day <= s <= last else None), s
    assert any(day <= s <= last and s != d for (a, s) in after if a == z)
    # grid days: rows change (and are rebuilt) only for the pulses' accounts from their day;
    # every other grid-day row is the one stored by the previous run, untouched
    rebuilt = {k for k in after if k[1] != d and after[k]["_built_at"] != before[k]["_built_at"]}
    assert {k for k in rebuilt if k[0] == z} == {k for k in after if k[0] == z and day <= k[1] != d}
    assert all(k[0] in (z, p["w"]) for k in rebuilt)
    z_before = [k for k in after if k[0] == z and k[1] < day]
    assert z_before and all(after[k] == before[k] for k in z_before)
    assert after[(z, day)]["engagement_score"] < before[(z, day)]["engagement_score"]


def test_a_pulse_older_than_90_days_has_no_value_and_its_weight_goes_to_the_others(runs) -> None:
    w, d = runs["pulse"]["w"], runs["d"]
    metrics = runs["late_metrics"]
    pulse = metrics[(w, d, "csm_pulse")]
    assert pulse["value"] is None and pulse["score"] is None
    assert pulse["weight"] == 0 and pulse["contribution"] == 0
    # 160 days ago it counted (inside 90 days of an earlier snapshot), now it does not
    counted = [s for (a, s, m), r in metrics.items() if a == w and m == "csm_pulse" and r["value"]]
    assert counted and max(counted) <= d - timedelta(days=160 - 89)
    engagement = [
        r
        for (a, s, m), r in metrics.items()
        if a == w and s == d and r["dimension"] == "engagement"
    ]
    scored = [r for r in engagement if r["score"] is not None]
    # the engagement share is spread over the scored metrics only, equally (weights 1)
    assert len({round(r["weight"], 12) for r in scored}) == 1
    total = sum(
        r["weight"] for r in metrics.values() if r["account_id"] == w and r["snapshot_date"] == d
    )
    assert total == pytest.approx(1)
    assert runs["late_health"][(w, d)]["health_score"] == pytest.approx(
        sum(r["contribution"] for (a, s, m), r in metrics.items() if a == w and s == d)
    )
