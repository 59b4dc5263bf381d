"""Daily runs keep their promises (CONTRACT section 10): one warehouse, run as CS Ops run it
every morning, on the tiny generated landing zone.

    R1  D  = Tuesday 2026-10-20 (first run: the ledger is replayed from scratch)
        + an outcome recorded against one of R1's CTAs, and one against no CTA at all
    R2  D+1 = Wednesday 2026-10-21
        + a late delivery: three urgent tickets created 2026-10-15 (inside grid day 10-18)
    R3  the next Sunday, 2026-10-25 (a grid day)
    R4  the same D with a changed health seed (CS Ops moved a threshold): no new date, so
        the latest evaluated date is rechecked (which rules still hold there)
    R5  `cswh run --full-refresh` at the same D, original seeds
    R6  `cswh run --full-refresh` again

Each run's published marts are read once (module fixture); the tests compare them.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.seeds import read_seed
from tests.support import cswh_env, query_dicts, run_cswh

# Six whole runs happen in the module fixture, charged to the first test's setup: 382 s in
# CI, 654 s on a slower machine (2026-12-06), too near pytest-timeout's 900 s default.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

D = date(2026, 10, 20)  # a Tuesday
SUNDAY = date(2026, 10, 25)
LATE_TICKETS_ON = date(2026, 10, 15)  # inside the window of grid day 10-18
ORPHAN_CTA = "0" * 32
# Fields a CTA keeps from the run that raised it (section 10).
FROZEN = (
    "cta_id",
    "account_id",
    "cta_type",
    "triggered_on",
    "reason",
    "metric_value",
    "threshold",
    "priority",
    "playbook_id",
    "due_on",
    "raised_in_run_id",
    "raised_as_of",
)
# Metadata of a build, not values: they differ between runs by design.
BUILD_COLUMNS = {"_built_at", "_inputs_loaded_at", "_seeds_hash", "raised_in_run_id", "raised_at"}


_rows = query_dicts  # rows as dicts by column name


def _published(serving: Path) -> dict:
    return {
        "health": {
            (r["account_id"], r["snapshot_date"]): r
            for r in _rows(serving, "select * from marts.fct_account_health")
        },
        "metrics": {
            (r["account_id"], r["snapshot_date"], r["metric"]): r
            for r in _rows(serving, "select * from marts.fct_health_metrics")
        },
        "ctas": {r["cta_id"]: r for r in _rows(serving, "select * from marts.fct_cta_candidates")},
        "orphans": _rows(serving, "select * from dq.orphaned_cta_outcomes"),
        "publish_log": _rows(serving, "select * from dq.publish_log order by published_at"),
        "tickets": _rows(
            serving, "select account_id, created_on, is_high_priority from marts.fct_tickets"
        ),
    }


def _values(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in BUILD_COLUMNS}


def _run(env: dict, *args: str) -> str:
    result = run_cswh("run", *args, env=env, timeout=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout


def _write_outcomes(zone: Path, rows: list[dict]) -> None:
    path = zone / "cta_actions" / "outcomes_2026-10-20_dashboard.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["cta_id", "recorded_at", "recorded_by", "outcome", "note"])
        writer.writeheader()
        writer.writerows(rows)


def _write_late_tickets(zone: Path, account_id: str) -> None:
    created = f"{LATE_TICKETS_ON}T10:00:00+09:00"
    lines = [
        json.dumps(
            {
                "id": f"LATE-{n}",
                "organization_id": account_id,
                "requester_email": f"late{n}@example.com",
                "subject": "至急: 障害の問い合わせ",
                "created_at": created,
                "updated_at": created,
                "solved_at": None,
                "status": "open",
                "priority": "urgent",
                "channel": "email",
                "category": "bug",
                "satisfaction": None,
            },
            ensure_ascii=False,
        )
        for n in range(3)
    ]
    (zone / "support" / "tickets_2026-10-24_late.jsonl").write_text("\n".join(lines) + "\n")


def _project_copy(root: Path, name: str, path: str, old: str, new: str) -> Path:
    """A copy of the dbt project with one file changed (``old`` -> ``new``)."""
    project = root / name
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    file = project / path
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new), encoding="utf-8")
    return project


def _project_with_changed_seed(root: Path) -> Path:
    """A copy of the dbt project in which CS Ops moved wau_rate's green_at 0.6 -> 0.5."""
    return _project_copy(
        root,
        "dbt_changed_seed",
        "seeds/health_metrics.csv",
        "adoption,wau_rate,1,0.15,0.6,",
        "adoption,wau_rate,1,0.15,0.5,",
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> dict:
    root = tmp_path_factory.mktemp("daily")
    zone = root / "raw"
    shutil.copytree(tiny_zone, zone)
    env = cswh_env(root)
    serving = Path(env["CSWH_SERVING"])
    out: dict = {}

    _run(env, "--as-of", D.isoformat())
    out["r1"] = _published(serving)
    # an open CTA raised at a grid day: a replay at a later D evaluates grid days and that
    # D only, so it raises this CTA again and the outcome keeps finding it
    open_ctas = sorted(
        c
        for c, r in out["r1"]["ctas"].items()
        if r["status"] == "open" and r["triggered_on"].isoweekday() == 7
    )
    assert open_ctas, "R1 raised no open CTA at a grid day to record an outcome against"
    out["won"] = open_ctas[0]
    _write_outcomes(
        zone,
        [
            {
                "cta_id": out["won"],
                "recorded_at": f"{D} 15:00:00",
                "recorded_by": "佐藤 花子",
                "outcome": "won",
                "note": "追加ID 20件で合意",
            },
            {
                "cta_id": ORPHAN_CTA,
                "recorded_at": f"{D} 16:00:00",
                "recorded_by": "佐藤 花子",
                "outcome": "contacted",
                "note": "CRM から転記 (CTA ID 誤り)",
            },
        ],
    )

    out["r2_stdout"] = _run(env, "--as-of", (D + timedelta(days=1)).isoformat())
    out["r2"] = _published(serving)
    # the late tickets go to an active account without a ticket_surge CTA since 10-11, so
    # the rule's cooldown (14 days) cannot hide where the late data raises it
    recent_surges = {
        r["account_id"]
        for r in out["r2"]["ctas"].values()
        if r["cta_type"] == "ticket_surge" and r["triggered_on"] >= date(2026, 10, 11)
    }
    candidates = sorted(
        a for (a, s) in out["r2"]["health"] if s == date(2026, 10, 18) and a not in recent_surges
    )
    out["late_account"] = candidates[0]
    _write_late_tickets(zone, out["late_account"])

    _run(env, "--as-of", SUNDAY.isoformat())
    out["r3"] = _published(serving)

    changed = _project_with_changed_seed(root)
    _run({**env, "CSWH_DBT_PROJECT_DIR": str(changed)}, "--as-of", SUNDAY.isoformat())
    out["r4"] = _published(serving)

    _run(env, "--as-of", SUNDAY.isoformat(), "--full-refresh")
    out["r5"] = _published(serving)
    _run(env, "--as-of", SUNDAY.isoformat(), "--full-refresh")
    out["r6"] = _published(serving)
    return out


def _differences(a: dict, b: dict, limit: int = 5) -> list:
    """Where two {key: row} maps differ: missing keys, then (key, column, a, b)."""
    out: list = sorted(set(a) ^ set(b))[:limit]
    for key in sorted(set(a) & set(b)):
        ra, rb = _values(a[key]), _values(b[key])
        out += [(key, col, ra[col], rb.get(col)) for col in ra if ra[col] != rb.get(col)]
        if len(out) >= limit:
            break
    return out


def _grid(published: dict) -> dict:
    return {k: _values(r) for k, r in published["health"].items() if k[1].isoweekday() == 7}


# --- D -> D+1 -> the next Sunday -----------------------------------------------------------


def test_every_cta_keeps_its_frozen_fields_in_later_runs(runs) -> None:
    for earlier, later in (("r1", "r2"), ("r2", "r3"), ("r3", "r4")):
        before, after = runs[earlier]["ctas"], runs[later]["ctas"]
        missing = sorted(set(before) - set(after))
        assert not missing, f"{later} lost CTAs of {earlier}: {missing[:5]}"
        changed = [
            (c, f)
            for c in before
            for f in FROZEN
            if before[c][f] != after[c][f]
            and not (isinstance(before[c][f], float) and before[c][f] == after[c][f])
        ]
        assert not changed, f"{later} rewrote frozen fields of {earlier}'s CTAs: {changed[:5]}"
    assert all(r["raised_as_of"] == D for r in runs["r1"]["ctas"].values())


def test_an_outcome_recorded_on_d_sets_the_status_on_d_plus_1(runs) -> None:
    won = runs["won"]
    assert runs["r1"]["ctas"][won]["status"] == "open"
    assert runs["r2"]["ctas"][won]["status"] == "done"
    assert runs["r2"]["ctas"][won]["latest_outcome"] == "won"
    assert runs["r3"]["ctas"][won]["status"] == "done"


def _surging(published: dict, day: date) -> set[str]:
    """Accounts whose tickets meet ticket_surge at ``day`` (seed cta_rules: >= threshold high
    or urgent, or >= threshold_2 of any priority, created in the window_days up to it),
    counted from the published tickets: an oracle beside the rule's SQL."""
    (rule,) = [r for r in read_seed("cta_rules") if r["cta_type"] == "ticket_surge"]
    first = day - timedelta(days=int(rule["window_days"]) - 1)
    counts: dict[str, list[int]] = {}
    for t in published["tickets"]:
        if t["account_id"] and first <= t["created_on"] <= day:
            n = counts.setdefault(t["account_id"], [0, 0])
            n[0] += bool(t["is_high_priority"])
            n[1] += 1
    return {
        a
        for a, (high, every) in counts.items()
        if high >= float(rule["threshold"]) or every >= float(rule["threshold_2"])
    }


def test_an_auto_resolve_cta_resolves_when_its_rule_stops_holding(runs) -> None:
    """Section 11: ticket_surge (auto_resolve) is resolved when, with no outcome, its rule no
    longer holds at the latest evaluated date; R4 runs at R3's D again (a recheck) and must
    see the same. nps_detractor (auto_resolve false) is never resolved."""
    auto = {r["cta_type"] for r in read_seed("cta_rules") if r["auto_resolve"] == "true"}
    assert auto == {"ticket_surge", "champion_inactive", "shared_id_suspected"}
    for run in ("r1", "r3", "r4"):
        ctas = runs[run]["ctas"].values()
        latest = {c["latest_evaluated_on"] for c in ctas}
        assert len(latest) == 1
        (day,) = latest
        assert day == (D if run == "r1" else SUNDAY), run
        surging = _surging(runs[run], day)
        surges = [
            c for c in ctas if c["cta_type"] == "ticket_surge" and c["is_rule_holding"] is not None
        ]
        assert surges, run
        assert {c["account_id"] for c in surges if c["is_rule_holding"]} == {
            c["account_id"] for c in surges if c["account_id"] in surging
        }, run
        for c in ctas:
            waiting = c["latest_outcome"] is None and c["triggered_on"] > day - timedelta(days=30)
            should = waiting and c["cta_type"] in auto and c["is_rule_holding"] is False
            assert (c["status"] == "resolved") == should, (run, c["cta_type"], c["status"])
    # the late tickets (R2) raised a surge at R3's date: it holds there, also when rechecked
    late = [
        c
        for c in runs["r4"]["ctas"].values()
        if c["account_id"] == runs["late_account"]
        and c["cta_type"] == "ticket_surge"
        and c["triggered_on"] >= LATE_TICKETS_ON
    ]
    assert [(c["triggered_on"], c["is_rule_holding"], c["status"]) for c in late] == [
        (SUNDAY, True, "open")
    ]
    # the recheck (R4: no new date) reads the same rules as R3's evaluation of that date
    r3, r4 = runs["r3"]["ctas"], runs["r4"]["ctas"]
    assert {
        c: (r["status"], r["is_rule_holding"]) for c, r in r3.items() if r["cta_type"] in auto
    } == {c: (r["status"], r["is_rule_holding"]) for c, r in r4.items() if r["cta_type"] in auto}
    resolved = [
        r for run in ("r1", "r3") for r in runs[run]["ctas"].values() if r["status"] == "resolved"
    ]
    assert resolved, "the tiny zone resolves some CTA whose condition healed"


def test_grid_day_rows_stay_identical_when_d_moves(runs) -> None:
    r1, r2 = _grid(runs["r1"]), _grid(runs["r2"])
    assert r1 and r1 == r2
    r1_metrics = {k: _values(r) for k, r in runs["r1"]["metrics"].items() if k[1].isoweekday() == 7}
    r2_metrics = {k: _values(r) for k, r in runs["r2"]["metrics"].items() if k[1].isoweekday() == 7}
    assert r1_metrics == r2_metrics
    # R1's grid rows are not even rewritten by R2: the daily build touches D only
    built = {r["_built_at"] for k, r in runs["r2"]["health"].items() if k[1].isoweekday() == 7}
    assert len(built) == 1 and built != {
        r["_built_at"] for k, r in runs["r2"]["health"].items() if k[1] == D + timedelta(days=1)
    }


def test_the_only_non_grid_snapshot_is_d(runs) -> None:
    def non_grid(published: dict) -> set[date]:
        return {s for (_, s) in published["health"] if s.isoweekday() != 7}

    assert non_grid(runs["r1"]) == {D}
    assert non_grid(runs["r2"]) == {D + timedelta(days=1)}
    assert non_grid(runs["r3"]) == set()  # D is a Sunday: the current snapshot is a grid day
    assert max(s for (_, s) in runs["r3"]["health"]) == SUNDAY
    assert all(
        r["is_provisional"] == (s != SUNDAY and s.isoweekday() != 7)
        for (_, s), r in runs["r3"]["health"].items()
    )


# --- late data -----------------------------------------------------------------------------


def test_a_late_ticket_rescores_its_past_week_only(runs) -> None:
    account, week = runs["late_account"], date(2026, 10, 18)
    before = runs["r2"]["metrics"][(account, week, "urgent_tickets_open")]
    after = runs["r3"]["metrics"][(account, week, "urgent_tickets_open")]
    assert after["value"] == before["value"] + 3
    assert (
        runs["r3"]["health"][(account, week)]["engagement_score"]
        < (runs["r2"]["health"][(account, week)]["engagement_score"])
    )
    # weeks before the tickets existed, and every other account, are left alone
    r2, r3 = _grid(runs["r2"]), _grid(runs["r3"])
    untouched = [k for k in r2 if k[0] != account or k[1] < LATE_TICKETS_ON]
    assert untouched and all(r2[k] == r3[k] for k in untouched)


def test_a_late_ticket_raises_its_cta_at_the_next_evaluated_date_not_in_the_past(runs) -> None:
    account = runs["late_account"]
    surges = [
        r
        for r in runs["r3"]["ctas"].values()
        if r["account_id"] == account
        and r["cta_type"] == "ticket_surge"
        and r["triggered_on"] >= LATE_TICKETS_ON
    ]
    assert [(r["triggered_on"], r["raised_as_of"]) for r in surges] == [(SUNDAY, SUNDAY)]
    new = set(runs["r3"]["ctas"]) - set(runs["r2"]["ctas"])
    assert new and all(runs["r3"]["ctas"][c]["triggered_on"] == SUNDAY for c in new)


# --- seeds, replays, determinism -----------------------------------------------------------


def test_a_seed_change_rescores_history_and_leaves_the_ledger_alone(runs) -> None:
    r3, r4 = runs["r3"], runs["r4"]
    assert set(r3["health"]) == set(r4["health"])
    rescored = [
        k
        for k in r3["health"]
        if r3["health"][k]["health_score"] != r4["health"][k]["health_score"]
    ]
    # wau_rate now reaches 100 at 0.5: every row with a wau_rate in (0.15, 0.6) moves
    wau = [
        k
        for k, r in r4["metrics"].items()
        if k[2] == "wau_rate" and r["value"] and 0.15 < r["value"] < 0.6
    ]
    assert wau and {k[:2] for k in wau} <= set(rescored)
    assert any(s < date(2026, 9, 1) for (_, s) in rescored), "older history was not rescored"
    assert len({r["_built_at"] for r in r4["health"].values()}) == 1  # every row rewritten
    assert r3["ctas"] == r4["ctas"]
    hashes = [p["seeds_hash"] for p in r4["publish_log"]]
    assert hashes[-1] and hashes[-1] != hashes[-2]


def test_an_incremental_history_equals_a_full_refresh(runs) -> None:
    r3, r5 = runs["r3"], runs["r5"]
    assert _differences(r3["health"], r5["health"]) == []
    assert _differences(r3["metrics"], r5["metrics"]) == []


def test_two_full_refreshes_at_the_same_d_are_identical(runs) -> None:
    r5, r6 = runs["r5"], runs["r6"]
    assert r5["ctas"] and _differences(r5["ctas"], r6["ctas"]) == []
    assert _differences(r5["health"], r6["health"]) == []
    assert _differences(r5["metrics"], r6["metrics"]) == []
    # a replay raises every CTA anew, in its own run, at its D
    assert len({r["raised_in_run_id"] for r in r6["ctas"].values()}) == 1
    assert {r["raised_as_of"] for r in r6["ctas"].values()} == {SUNDAY}


def test_a_replay_sees_late_data_where_it_happened(runs) -> None:
    # from scratch, the late tickets fire ticket_surge at the first snapshot holding them
    account = runs["late_account"]
    surges = sorted(
        r["triggered_on"]
        for r in runs["r5"]["ctas"].values()
        if r["account_id"] == account
        and r["cta_type"] == "ticket_surge"
        and r["triggered_on"] >= LATE_TICKETS_ON
    )
    assert surges[0] == date(2026, 10, 18)


def test_an_orphaned_outcome_is_reported_not_dropped(runs) -> None:
    for name in ("r2", "r3", "r5"):
        orphans = runs[name]["orphans"]
        assert [o["cta_id"] for o in orphans] == [ORPHAN_CTA], name
        assert orphans[0]["recorded_by"] == "佐藤 花子"
    assert "orphaned outcomes: 1 " in runs["r2_stdout"]
    # the outcome against a CTA of a grid day is no orphan, and still counts after a replay
    assert runs["r5"]["ctas"][runs["won"]]["status"] == "done"


# --- a history longer than health_history_weeks ---------------------------------------------


@pytest.fixture(scope="module")
def sliding(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> dict:
    """Six history dates, D = Tuesday 10-20 then Tuesday 10-27: the window slides a week."""
    root = tmp_path_factory.mktemp("sliding")
    shutil.copytree(tiny_zone, root / "raw")
    project = _project_copy(
        root,
        "dbt_six_weeks",
        "dbt_project.yml",
        "health_history_weeks: 104",
        "health_history_weeks: 6",
    )
    env = {**cswh_env(root), "CSWH_DBT_PROJECT_DIR": str(project)}
    out = {}
    for name, d in (("before", D), ("after", D + timedelta(days=7))):
        _run(env, "--as-of", d.isoformat())
        out[name] = _published(Path(env["CSWH_SERVING"]))
    return out


def test_the_history_window_slides_and_keeps_the_oldest_rows_changes(sliding) -> None:
    before, after = sliding["before"], sliding["after"]
    assert sorted({s for (_, s) in before["health"]}) == [
        date(2026, 9, 20),
        date(2026, 9, 27),
        date(2026, 10, 4),
        date(2026, 10, 11),
        date(2026, 10, 18),
        D,
    ]
    assert sorted({s for (_, s) in after["health"]}) == [
        date(2026, 9, 27),
        date(2026, 10, 4),
        date(2026, 10, 11),
        date(2026, 10, 18),
        date(2026, 10, 25),
        D + timedelta(days=7),
    ]
    # the grid days both windows hold are identical, the oldest one included: its 28-day
    # reference (08-30) lies before the window and still counts (a reference-only date)
    common = {k: v for k, v in _grid(before).items() if k[1] >= date(2026, 9, 27)}
    assert common and all(_grid(after)[k] == v for k, v in common.items())
    oldest = [r for (_, s), r in after["health"].items() if s == date(2026, 9, 27)]
    assert oldest and all(r["reference_snapshot_date"] == date(2026, 8, 30) for r in oldest)
    assert any(r["health_score_change_28d"] is not None for r in oldest)
