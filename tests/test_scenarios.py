"""Scenarios: a hand-made landing zone (tests/scenario_zone.py) through `cswh run`, and the
tiers and calls to action that CONTRACT.md sections 4 and 6 (with the readings of section 9)
say must come out of it. Every expected number below is worked out by hand from the contract
and the data in scenario_zone.py; the comments show the arithmetic.

D = 2026-06-30 (a Tuesday); usage D-119 (2026-03-03) .. D; snapshots D and the Sundays D-2,
D-9, ..., D-114 (18 dates, reading 23). The 28-day reference snapshot of D is Sunday D-30.

Health score recap (section 4): metric score = 100 * clamp((value - red) / (green - red), 0, 1);
dimension = mean of its scored metrics (equal weights); health = weighted mean of the scored
dimensions (deployment 25, engagement 25, adoption 35, roi 15), re-normalised.

The `unknown` tier (no dimension scored) cannot be reached by an active account with the
default seeds: engagement always has values, because decision_maker_touch and
urgent_tickets_open are 0 (not null) when nothing happened and days_since_touch of a
never-touched account is the days since customer_since (reading 5). ACC-BARE is the nearest
construction: nothing measurable except engagement (deployment, adoption, roi all null).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import duckdb
import pytest

from dagster_project.seeds import read_seed
from tests import scenario_zone as z
from tests.support import cswh_env, run_cswh

pytestmark = pytest.mark.slow

D = z.D
THRIVE, FAIL, TECH, NEAR, PROSPECT, BARE = z.THRIVE, z.FAIL, z.TECH, z.NEAR, z.PROSPECT, z.BARE
ACTIVE = (THRIVE, FAIL, TECH, NEAR, BARE)


def days(n: int) -> date:
    return D + timedelta(days=n)


def cta_id(account: str, cta_type: str, triggered_on: date) -> str:
    # the stable id of PLAN.md: md5 of account_id|cta_type|triggered_on
    return hashlib.md5(f"{account}|{cta_type}|{triggered_on.isoformat()}".encode()).hexdigest()


def score(value: float, red: float, green: float) -> float:
    """The contract's metric score."""
    return 100 * min(max((value - red) / (green - red), 0.0), 1.0)


# CTA outcomes recorded "elsewhere" (cta_actions source): the renewal CTA of ACC-FAIL was
# contacted, then won (latest = won -> done); its ticket_surge CTA was dismissed (reason
# already_handled); its nps_detractor CTA was snoozed until D (open again on D); ACC-NEAR's
# renewal CTA was snoozed without a date (14 days after the day it was recorded).
OUTCOMES = [
    (
        cta_id(FAIL, "renewal_low_consumption", days(-58)),
        f"{days(-50)} 10:00:00",
        "inside_sales",
        "contacted",
        None,
    ),
    (
        cta_id(FAIL, "renewal_low_consumption", days(-58)),
        f"{days(-40)} 10:00:00",
        "inside_sales",
        "won",
        "更新合意",
    ),
    (
        cta_id(FAIL, "ticket_surge", days(-2)),
        f"{D} 18:00:00",
        "support",
        "dismissed",
        None,
        "already_handled",
    ),
    (
        cta_id(FAIL, "nps_detractor", days(-2)),
        f"{days(-2)} 18:00:00",
        "csm",
        "snoozed",
        "来週折り返し",
        None,
        D.isoformat(),
    ),
    (
        cta_id(NEAR, "renewal_low_consumption", days(-2)),
        f"{days(-1)} 09:00:00",
        "inside_sales",
        "snoozed",
        None,
    ),
]


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("scenarios")
    z.write_zone(root / "raw", outcomes=OUTCOMES)
    result = run_cswh("run", "--as-of", D.isoformat(), env=cswh_env(root), timeout=1800)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    con = duckdb.connect(str(root / "warehouse" / "serving.duckdb"), read_only=True)
    yield con
    con.close()


def rows(con, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def health_at_d(serving) -> dict[str, dict]:
    found = rows(serving, "select * from marts.fct_account_health where snapshot_date = ?", [D])
    return {r["account_id"]: r for r in found}


@pytest.fixture(scope="module")
def metrics_at_d(serving) -> dict[tuple[str, str], dict]:
    found = rows(serving, "select * from marts.fct_health_metrics where snapshot_date = ?", [D])
    return {(r["account_id"], r["metric"]): r for r in found}


@pytest.fixture(scope="module")
def ctas(serving) -> list[dict]:
    return rows(serving, "select * from marts.fct_cta_candidates order by account_id, triggered_on")


def raised(ctas: list[dict], account: str) -> set[tuple[str, date]]:
    return {(c["cta_type"], c["triggered_on"]) for c in ctas if c["account_id"] == account}


# --- the load ------------------------------------------------------------------------------


def test_the_hand_made_zone_loads_clean(serving) -> None:
    assert serving.execute("select count(*) from dq.quarantine").fetchone()[0] == 0
    failed = serving.execute(
        "select file from dq.load_manifest where status <> 'loaded'"
    ).fetchall()
    assert failed == []
    (as_of,) = serving.execute("select max(as_of_date) from dq.publish_log").fetchone()
    assert as_of == D


# --- accounts ------------------------------------------------------------------------------


def test_segments_lifecycle_and_adoption_stage(serving) -> None:
    got = {r["account_id"]: r for r in rows(serving, "select * from marts.dim_accounts")}
    assert set(got) == {THRIVE, FAIL, TECH, NEAR, PROSPECT, BARE}
    # segment by employee_count: 1000 -> high_touch, 50 and 999 -> pooled, 49 -> tech_touch
    segments = {a: r["segment"] for a, r in got.items()}
    assert segments == {
        THRIVE: "high_touch",
        FAIL: "pooled",
        TECH: "tech_touch",
        NEAR: "pooled",
        PROSPECT: "pooled",
        BARE: "tech_touch",
    }
    # lifecycle (first that applies: prospect, churned, renewal_window, onboarding, active):
    # THRIVE: K1B ends 2027-04-18, 292 days after D; customer since 2025-04-19 (437 days) -> active
    # FAIL 120, TECH 180 (boundary: "within 180 days"), NEAR 89 days to renewal -> renewal_window
    # BARE: 300 days to renewal, customer for 300 days -> active
    lifecycle = {a: r["lifecycle_stage"] for a, r in got.items()}
    assert lifecycle == {
        THRIVE: "active",
        FAIL: "renewal_window",
        TECH: "renewal_window",
        NEAR: "renewal_window",
        PROSPECT: "prospect",
        BARE: "active",
    }
    assert {a: r["days_to_renewal"] for a, r in got.items() if a != PROSPECT} == {
        THRIVE: 292,
        FAIL: 120,
        TECH: 180,
        NEAR: 89,
        BARE: 300,
    }
    # customer_since = earliest contract start <= D (reading 1); contract = the one active at D
    assert got[THRIVE]["customer_since"] == date(2025, 4, 19)
    assert got[THRIVE]["contract_id"] == "K1B"
    assert got[THRIVE]["csm_owner"] == z.CSM_THRIVE
    prospect = got[PROSPECT]
    assert prospect["is_active_customer"] is False
    assert prospect["contract_id"] is None and prospect["customer_since"] is None
    assert all(got[a]["is_active_customer"] for a in ACTIVE)
    # adoption stage (section 5, reading 29):
    # THRIVE: IDs (1), core actions (2), wau 9/9 >= 0.5 for 4+ weekly snapshots (3), mobile
    #   2/9 = 22% >= 20% (4), export in the last 30 days (5) -> 5
    # FAIL: IDs, a core action; wau 1/4 = 0.25 < 0.5 -> 2
    # TECH: IDs, core, wau 3/5 = 0.6, mobile 1/5 = exactly 20% (boundary), no advanced -> 4
    # NEAR: IDs, core, wau 2/3, no mobile -> 3
    # BARE: no user IDs -> 0; PROSPECT -> 0
    assert {a: r["adoption_stage"] for a, r in got.items()} == {
        THRIVE: 5,
        FAIL: 2,
        TECH: 4,
        NEAR: 3,
        PROSPECT: 0,
        BARE: 0,
    }


def test_health_rows_per_active_account_and_snapshot(serving) -> None:
    found = serving.execute(
        "select account_id, list(snapshot_date order by snapshot_date desc) "
        "from marts.fct_account_health group by account_id"
    ).fetchall()
    spine = list(z.SNAPSHOTS)  # D, then the Sundays D-2 .. D-114; none before the first usage day
    assert {a: s for a, s in found} == {a: spine for a in ACTIVE}  # the prospect has none


# --- health at D -----------------------------------------------------------------------------

# THRIVE (high_touch). Deployment: id_issue_rate 9/10 = 0.9 -> 100 (U1-10 was deactivated
#   before any snapshot), login 9/9 -> 100, core users 9/9 -> 100 => 100.
# Engagement: last regular meeting D-10 -> 100; decision maker met -> 100; 2 seminars (D-60,
#   D-20) -> 100; NPS 10 (matched by e-mail) -> 100; 0 urgent open -> 100 => 100.
# Adoption: wau 9/9 -> 100; mobile 2/9 -> 100 * (2/9) / 0.3 = 74.07; core actions last 7
#   days 9 * 4 * 7 / 9 = 28 per ID -> 100; quota pace (2628 / 3285 = 0.8) / (73 / 365 = 0.2)
#   = 4 -> 100 => (300 + 74.07) / 4.
# ROI: OBJ-11 (target D-30, achieved D-35) is the only objective with a target in K1B's
#   term (OBJ-10 belongs to K1A, OBJ-12 is not due) -> 1/1 -> 100.
THRIVE_DIMS = {
    "deployment": 100.0,
    "engagement": 100.0,
    "adoption": (300 + score(2 / 9, 0, 0.3)) / 4,
    "roi": 100.0,
}
# FAIL (pooled). Deployment: 4/20 = 0.2 -> 0; login 2/4 = 0.5 -> 20; core users 1/4 = 0.25
#   -> 10 => 10.
# Engagement: last touch the call at D-232 (the D-30 e-mail is no touch) -> 0; no decision
#   maker -> 0; no seminar -> 0; NPS 3 -> 0; 3 high/urgent open -> 0 => 0.
# Adoption: wau 1/4 = 0.25 -> 22.22; mobile 0; core 1 / 4 IDs = 0.25 -> 0; quota pace
#   (18 / 1000) / (245 / 365) = 0.027 -> 0 => 22.22 / 4.
# ROI: OBJ-20 due D-60, missed -> 0 / 1 -> 0.
FAIL_DIMS = {
    "deployment": (0 + 20 + 10) / 3,
    "engagement": 0.0,
    "adoption": score(0.25, 0.15, 0.6) / 4,
    "roi": 0.0,
}
# TECH (tech_touch). Deployment: 5/6 -> 88.89; login 5/5 -> 100; core users 1/5 = 0.2 -> 0.
# Engagement: never touched -> days since customer_since 2025-12-28 = 184 -> 0; decision
#   maker 0; seminars 0; NPS none (null); urgent open 0 -> 100 => 100 / 4.
# Adoption: wau 3/5 = 0.6 -> 100; mobile 1/5 = 0.2 -> 66.67; core 7 / 5 = 1.4 -> 4.44; quota
#   pace (120 / 1000) / (185 / 365) = 0.237 -> 0.   ROI: no objectives (null).
TECH_DIMS = {
    "deployment": (score(5 / 6, 0.3, 0.9) + 100 + 0) / 3,
    "engagement": 25.0,
    "adoption": (100 + score(0.2, 0, 0.3) + score(1.4, 1, 10) + 0) / 4,
    "roi": None,
}
# NEAR (pooled). Deployment: 3/4 = 0.75 -> 75; login 3/3 -> 100; core users 1/3 -> 26.67.
# Engagement: meeting D-20 -> 100; decision maker -> 100; 1 seminar (D-40) -> 50; NPS null;
#   urgent open 0 -> 100 => 350 / 4.
# Adoption: wau 2/3 -> 100; mobile 0; core 14 / 3 = 4.67 -> 40.74; quota pace: the contract
#   year restarted at the anniversary D-3: (8 / 1000) / (4 / 365) = 0.73 -> 55.  ROI null.
NEAR_DIMS = {
    "deployment": (75 + 100 + score(1 / 3, 0.2, 0.7)) / 3,
    "engagement": 350 / 4,
    "adoption": (100 + 0 + score(14 / 3, 1, 10) + score(0.73, 0.4, 1.0)) / 4,
    "roi": None,
}
# BARE (tech_touch): 0 seats and no IDs -> deployment and adoption metrics have zero
#   denominators; annual_quota 0 -> no quota pace; no objectives. Engagement: 300 days since
#   customer_since -> 0, decision maker 0, seminars 0, NPS null, urgent open 0 -> 100 => 25.
BARE_DIMS = {"deployment": None, "engagement": 25.0, "adoption": None, "roi": None}

# The metrics of the contract's default seed (section 4), which the numbers above work through.
WORKED_METRICS = {
    *("id_issue_rate", "login_rate", "core_action_user_rate"),
    *("days_since_touch", "decision_maker_touch", "seminar_attendance_90d", "nps_recent"),
    "urgent_tickets_open",
    *("wau_rate", "mobile_wau_rate", "core_actions_per_user_week", "quota_pace"),
    "success_plan_attainment",
    # section 11: no account of the scenario zone has a pulse, so csm_pulse has no value
    # anywhere and its weight is re-normalised away: every number above stands.
    "csm_pulse",
}

DIMENSION_WEIGHTS = {"deployment": 25, "engagement": 25, "adoption": 35, "roi": 15}


def health_of(dims: dict[str, float | None]) -> float:
    present = {d: s for d, s in dims.items() if s is not None}
    total = sum(DIMENSION_WEIGHTS[d] for d in present)
    return sum(DIMENSION_WEIGHTS[d] * s for d, s in present.items()) / total


EXPECTED_AT_D = {
    # account: (dimension scores, tier)
    THRIVE: (THRIVE_DIMS, "excellent"),  # 97.73
    FAIL: (FAIL_DIMS, "critical"),  # 4.44
    TECH: (TECH_DIMS, "at_risk"),  # 43.49
    NEAR: (NEAR_DIMS, "healthy"),  # 65.66
    BARE: (BARE_DIMS, "critical"),  # 25
}


@pytest.mark.parametrize("account", list(EXPECTED_AT_D))
def test_health_score_and_tier_at_d(health_at_d, account: str) -> None:
    dims, tier = EXPECTED_AT_D[account]
    row = health_at_d[account]
    for dim, expected in dims.items():
        got = row[f"{dim}_score"]
        if expected is None:
            assert got is None, (account, dim, got)
        else:
            assert got == pytest.approx(expected, abs=1e-6), (account, dim)
    assert row["health_score"] == pytest.approx(health_of(dims), abs=1e-6)
    assert row["health_tier"] == tier


def test_tier_labels_and_segment_on_the_health_rows(health_at_d) -> None:
    assert health_at_d[THRIVE]["health_tier_ja"] == "極めて良好"
    assert health_at_d[NEAR]["health_tier_ja"] == "概ね健全"
    assert health_at_d[TECH]["health_tier_ja"] == "注意が必要"
    assert health_at_d[FAIL]["health_tier_ja"] == "対応が必要"
    assert health_at_d[THRIVE]["segment"] == "high_touch"
    assert health_at_d[TECH]["segment"] == "tech_touch"
    assert PROSPECT not in health_at_d


def test_score_change_28d(health_at_d) -> None:
    # D's 28-day reference snapshot is the latest on or before D-28 (a Thursday): Sunday
    # D-30 (reading 13). FAIL there: deployment 10; engagement: touch 202 days -> 0, dm 0,
    # seminars 0, no NPS yet (null), no ticket yet -> 100 => 25; adoption 22.22 / 4 as at D
    # (its 7-day window holds one weekly visit); roi 0 (OBJ-20 due D-60) => 0.25 * 10 +
    # 0.25 * 25 + 0.35 * 5.556 + 0 = 10.694. At D 4.444: change -6.25.
    at_d = health_of(FAIL_DIMS)
    before = health_of({**FAIL_DIMS, "engagement": 25.0})
    assert health_at_d[FAIL]["health_score_change_28d"] == pytest.approx(at_d - before, abs=1e-6)
    assert at_d - before == pytest.approx(-6.25)


def test_metric_values_at_d(metrics_at_d) -> None:
    value = {k: r["value"] for k, r in metrics_at_d.items()}
    # NPS of THRIVE is matched by a padded, capitalised e-mail (reading 21)
    assert value[(THRIVE, "nps_recent")] == pytest.approx(10)
    # reading 8: only OBJ-11 counts for the current contract K1B
    assert value[(THRIVE, "success_plan_attainment")] == pytest.approx(1.0)
    assert value[(THRIVE, "quota_pace")] == pytest.approx(4.0)
    assert value[(THRIVE, "seminar_attendance_90d")] == pytest.approx(2)
    assert value[(FAIL, "days_since_touch")] == pytest.approx(232)  # e-mails are no touch
    assert value[(FAIL, "urgent_tickets_open")] == pytest.approx(3)
    assert value[(FAIL, "decision_maker_touch")] == pytest.approx(0)
    assert value[(TECH, "days_since_touch")] == pytest.approx(184)  # never touched (reading 5)
    assert value[(NEAR, "quota_pace")] == pytest.approx(0.73)  # new contract year at D-3
    assert value[(BARE, "id_issue_rate")] is None
    assert value[(BARE, "quota_pace")] is None
    assert value[(BARE, "seminar_attendance_90d")] == pytest.approx(0)  # counts are 0, not null


def test_weights_and_contributions(serving, metrics_at_d) -> None:
    # every account and snapshot: contributions sum to health_score, weights to 1
    bad = serving.execute(
        """
        select h.account_id, h.snapshot_date, h.health_score, sum(m.contribution), sum(m.weight)
        from marts.fct_account_health h
        join marts.fct_health_metrics m using (account_id, snapshot_date)
        group by all
        having abs(h.health_score - sum(m.contribution)) > 1e-6 or abs(sum(m.weight) - 1) > 1e-6
        """
    ).fetchall()
    assert bad == []
    (n,) = serving.execute("select count(*) from marts.fct_health_metrics").fetchone()
    rows = serving.execute("select metric from seeds.health_metrics where enabled").fetchall()
    enabled = {m for (m,) in rows}
    assert enabled == WORKED_METRICS, (
        "the dimension scores above are worked out by hand for the contract's default metrics; "
        f"work out the numbers of {sorted(enabled - WORKED_METRICS)} "
        f"(and drop {sorted(WORKED_METRICS - enabled)})"
    )
    assert n == 18 * len(ACTIVE) * len(enabled)  # 18 snapshots x 5 active accounts x each metric
    # THRIVE mobile_wau_rate: weight 35/100 * 1/4 = 0.0875, contribution 74.07 * 0.0875
    mobile = metrics_at_d[(THRIVE, "mobile_wau_rate")]
    assert mobile["weight"] == pytest.approx(0.0875)
    assert mobile["contribution"] == pytest.approx(score(2 / 9, 0, 0.3) * 0.0875)
    # BARE: only engagement scores; nps_recent has no value -> weight 0 (reading 25); the
    # other four engagement metrics share the whole score: 1/4 each
    assert metrics_at_d[(BARE, "nps_recent")]["weight"] == 0
    assert metrics_at_d[(BARE, "nps_recent")]["contribution"] == 0
    assert metrics_at_d[(BARE, "urgent_tickets_open")]["weight"] == pytest.approx(0.25)
    assert metrics_at_d[(BARE, "urgent_tickets_open")]["contribution"] == pytest.approx(25)
    assert metrics_at_d[(BARE, "id_issue_rate")]["weight"] == 0
    # TECH: roi absent -> re-normalised over 85; adoption metric weight 35/85 * 1/4
    assert metrics_at_d[(TECH, "wau_rate")]["weight"] == pytest.approx(35 / 85 / 4)


# --- calls to action -------------------------------------------------------------------------


def test_thriving_account_quota_80_at_exactly_80_percent(ctas) -> None:
    # K1B year D-72..D: 73 days x 9 IDs x 4 core actions = 2628 = 0.8 x 3285 -> fires at D
    # (>= 0.8). At Sunday D-2: 71 x 36 = 2556 (0.78) -> did not fire before. K1A's year
    # never got past 43 x 36 = 1548 / 3285 = 0.47.
    got = raised(ctas, THRIVE)
    assert {c for c in got if c[0] == "quota_80"} == {("quota_80", D)}
    quota = next(c for c in ctas if c["account_id"] == THRIVE and c["cta_type"] == "quota_80")
    assert quota["metric_value"] == pytest.approx(0.8)
    assert quota["direction"] == "offense" and quota["priority"] == "high"
    assert "80%" in quota["reason"] and "2628" in quota["reason"]  # a sentence with the numbers
    # No defense CTA at any snapshot: touches every 14 days (no engagement_gap), NPS 10,
    # no tickets, renewals never 90..180 days ahead (K1A: 46..4 days, K1B: 364..292), the
    # admin active every day since 03-03 and not eligible in March (issued 02-01, reading 28),
    # health never falls (every metric is flat or rising), customer for > 96 days.
    defense = [c for c in ctas if c["account_id"] == THRIVE and c["direction"] == "defense"]
    assert defense == []


def test_thriving_account_health_jump_once_within_its_cooldown(ctas) -> None:
    # The renewal on D-72 (a Sunday, so a grid day) moves quota_pace from K1A's pace to K1B's
    # and drops K1A's missed objective from the ROI dimension. Its reference snapshot is the
    # Sunday D-100 (on or before D-100):
    # D-100 (K1A): deployment 100; engagement (meeting D-108 + dm 100 + 0 seminars + NPS 10
    #   given that day + 0 urgent = 100) / 5 = 80; adoption (100 + 74.07 + 100 + pace
    #   (720/3285) / (338/365) = 0.24 -> 0) / 4 = 68.52; roi OBJ-10 missed -> 0
    #   => 25 + 20 + 0.35 * 68.52 + 0 = 68.98.
    # D-72 (K1B's first day): pace (36/3285) / (1/365) = 4 -> adoption 93.52; no K1B
    #   objective due yet -> roi null => (2500 + 25 * 80 + 35 * 93.52) / 85 = 91.45: +22.5
    #   >= 15 -> raised. (D-79 against D-107: 69.8 vs 67.7, no.)
    # The rule fires again at D-65, D-58, D-51 (against the K1A snapshots) but inside the
    # 28-day cooldown, so nothing more is raised; from D-44 on the 28-day changes are small.
    # No other offense rule: 9/10 seats < 0.95, no ID issued in any window, 1 device per
    # user-day, export 1 event a week (< 20), no marketing events.
    assert raised(ctas, THRIVE) == {("health_jump", days(-72)), ("quota_80", D)}


def test_failing_account_raises_the_defense_ctas(ctas) -> None:
    # renewal_low_consumption: K2 ends D+120; days to renewal at the Sunday D-2-7k are within
    #   90..180 first at D-58 (178 days); consumption 9/1000 (nine Tuesday visits) < 0.4 ->
    #   raised D-58; it fires again up to D (120 days) but the 180-day cooldown holds it
    #   (reading 10).
    # engagement_gap: pooled; the last touch (D-232) lies outside S-179..S from S = D-52 on
    #   (customer since D-244 <= S-180 too) -> raised at the first snapshot, Sunday D-51.
    # nps_detractor: score 3 at D-3 is in the 14-day window of D-2 and D -> raised D-2 (30
    #   days of cooldown hold D).
    # ticket_surge: 3 high/urgent created D-5, D-4, D-2 are all in the window of D-2 ->
    #   raised D-2 (14 days of cooldown hold D).
    # Nothing else: no admin IDs, seat use 4/20, no ID issued in any 30-day window, health
    #   between 4.4 and 15.9 and always critical (no 28-day move of 15, never "became"
    #   critical), customer for >= 125 days at every snapshot.
    assert raised(ctas, FAIL) == {
        ("renewal_low_consumption", days(-58)),
        ("engagement_gap", days(-51)),
        ("nps_detractor", days(-2)),
        ("ticket_surge", days(-2)),
    }


def test_tech_touch_renewal_exactly_180_days_fires_and_no_engagement_gap(ctas) -> None:
    # K3 ends D+180: 180 days to renewal at D (the boundary, included), 187 at D-7; quota
    # consumption 120/1000 = 0.12 < 0.4 -> renewal_low_consumption raised at D.
    # engagement_gap would hold (never touched, customer since D-184 <= D-180) but the rule
    # is for pooled and high_touch only.
    # onboarding_90d: at D-91 (93 days as customer) adoption is 42.78 >= 37.5 -> no.
    # seat_expansion: 5/6 = 0.83 < 0.95 -> no. Health 43-49, at_risk throughout.
    assert raised(ctas, TECH) == {("renewal_low_consumption", D)}


def test_renewal_fires_at_91_days_in_the_new_contract_year_not_at_89(ctas) -> None:
    # K4 ends D+89: at D, 89 days is outside 90..180. At Sunday D-2 (91 days) the contract
    # year restarted at the anniversary D-3: 2 days x 2 = 4 of 1000 core actions (< 0.4) ->
    # raised D-2. At the Sundays D-9 .. D-86 (98 .. 175 days) the previous contract year had
    # 450 + 2 x (33 .. 110 days) = 516 .. 670 core actions, >= 0.4 (and < 0.8: no quota_80).
    got = raised(ctas, NEAR)
    assert {c for c in got if c[0] in ("renewal_low_consumption", "quota_80")} == {
        ("renewal_low_consumption", days(-2))
    }
    renewal = next(
        c for c in ctas if c["account_id"] == NEAR and c["cta_type"] == "renewal_low_consumption"
    )
    assert renewal["metric_value"] == pytest.approx(0.004)


def test_no_ctas_for_the_prospect_or_the_bare_account(ctas) -> None:
    # PROSPECT is never active. BARE: quota 0 (no consumption to judge), 0 seats, no IDs,
    # tech_touch (no engagement_gap), health 25 at every snapshot (no drop, never "became"
    # critical), customer for 181..300 days.
    assert raised(ctas, PROSPECT) == set()
    assert raised(ctas, BARE) == set()


def test_routing_through_the_playbooks(serving, ctas) -> None:
    playbooks = {r["playbook_id"]: r for r in rows(serving, "select * from marts.dim_playbooks")}
    segment = dict(serving.execute("select account_id, segment from marts.dim_accounts").fetchall())
    csm = dict(serving.execute("select account_id, csm_owner from marts.dim_accounts").fetchall())
    assert ctas
    for c in ctas:
        pb = playbooks[c["playbook_id"]]
        assert (pb["cta_type"], pb["segment"]) == (c["cta_type"], segment[c["account_id"]]), c
        assert c["owner_role"] == pb["owner_role"], c
        assert c["owner"] == (csm[c["account_id"]] if pb["owner_role"] == "csm" else None), c
        assert c["due_on"] == c["triggered_on"] + timedelta(days=pb["sla_days"]), c
        if "channel" in c:
            assert c["channel"] == pb["channel"], c

    def one(account: str, cta_type: str) -> dict:
        return next(c for c in ctas if c["account_id"] == account and c["cta_type"] == cta_type)

    # seed playbooks, by hand:
    # quota_80 x high_touch: csm, csm_meeting, 7 days -> owner = the named CSM
    quota = one(THRIVE, "quota_80")
    assert (quota["owner_role"], quota["owner"], quota["due_on"]) == ("csm", z.CSM_THRIVE, days(7))
    assert playbooks[quota["playbook_id"]]["channel"] == "csm_meeting"
    # renewal_low_consumption x tech_touch: marketing_automation, automated_email, 5 days
    tech = one(TECH, "renewal_low_consumption")
    assert (tech["owner_role"], tech["owner"], tech["due_on"]) == (
        "marketing_automation",
        None,
        days(5),
    )
    assert playbooks[tech["playbook_id"]]["channel"] == "automated_email"
    # pooled: engagement_gap csm/phone/14, nps_detractor csm/phone/3, ticket_surge support/
    # phone/2, renewal_low_consumption inside_sales/phone/7
    assert (one(FAIL, "engagement_gap")["owner"], one(FAIL, "engagement_gap")["due_on"]) == (
        z.CSM_FAIL,
        days(-51 + 14),
    )
    assert (one(FAIL, "nps_detractor")["owner"], one(FAIL, "nps_detractor")["due_on"]) == (
        z.CSM_FAIL,
        days(-2 + 3),
    )
    assert (one(FAIL, "ticket_surge")["owner_role"], one(FAIL, "ticket_surge")["owner"]) == (
        "support",
        None,
    )
    renewal = one(FAIL, "renewal_low_consumption")
    assert (renewal["owner_role"], renewal["owner"], renewal["due_on"]) == (
        "inside_sales",
        None,
        days(-58 + 7),
    )


def test_status_and_stable_ids(ctas) -> None:
    status = {(c["account_id"], c["cta_type"]): c["status"] for c in ctas}
    # latest outcome won -> done; dismissed -> dismissed; no outcome: open if triggered_on >=
    # D-29 (nps_detractor at D-2), else expired (engagement_gap at D-51)
    assert status[(FAIL, "renewal_low_consumption")] == "done"
    assert status[(FAIL, "ticket_surge")] == "dismissed"
    assert status[(FAIL, "nps_detractor")] == "open"
    assert status[(FAIL, "engagement_gap")] == "expired"
    assert status[(TECH, "renewal_low_consumption")] == "open"
    # section 11: snoozed while D < snooze_until (given, or 14 days after the day recorded),
    # then open again; a dismissed CTA keeps its close reason
    by_key = {(c["account_id"], c["cta_type"]): c for c in ctas}
    assert status[(NEAR, "renewal_low_consumption")] == "snoozed"
    assert by_key[(NEAR, "renewal_low_consumption")]["snooze_until"] == days(-1 + 14)
    assert (by_key[(FAIL, "nps_detractor")]["latest_outcome"], status[(FAIL, "nps_detractor")]) == (
        "snoozed",
        "open",
    )
    assert by_key[(FAIL, "ticket_surge")]["close_reason_code"] == "already_handled"
    for c in ctas:
        assert c["cta_id"] == cta_id(c["account_id"], c["cta_type"], c["triggered_on"])


def test_effectiveness_splits_dismissed_by_reason(serving) -> None:
    counts = {
        r["cta_type"]: r
        for r in rows(serving, "select * from marts.mart_cta_effectiveness where raised > 0")
    }
    assert (counts["ticket_surge"]["dismissed_ctas"], counts["ticket_surge"]["lost"]) == (1, 0)
    assert counts["renewal_low_consumption"]["snoozed_ctas"] == 1
    assert sum(r["resolved_ctas"] for r in counts.values()) == 0
    closed = rows(
        serving,
        "select cta_type, outcome, reason_code, ctas, outcome_ctas, share_of_outcome"
        " from marts.mart_cta_close_reasons where ctas > 0",
    )
    assert closed == [
        {
            "cta_type": "ticket_surge",
            "outcome": "dismissed",
            "reason_code": "already_handled",
            "ctas": 1,
            "outcome_ctas": 1,
            "share_of_outcome": 1.0,
        }
    ]
    (pairs,) = serving.execute("select count(*) from marts.mart_cta_close_reasons").fetchone()
    assert pairs == len(read_seed("cta_rules")) * len(read_seed("close_reasons")), "zeros included"
