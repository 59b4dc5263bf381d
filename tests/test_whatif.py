"""`cswh whatif` (CONTRACT section 2): changed seed values against today's, on a scratch copy.

The comparison runs once on the demo (`demo_published`: 1,000 accounts through the real
pipeline) with a stricter tier cut-off and a stricter metric threshold; the tests read what it
wrote and the files it must not have touched. Bad input is refused before anything runs.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project import cli
from dagster_project.whatif import ChangeError, SeedSet
from tests.support import run_cswh

# Stricter: `healthy` starts at 70 instead of 60, and a weekly-active rate of 0.9 instead of
# 0.6 is needed for full marks. Scores can only fall and tiers only get worse.
STRICTER = ("health_tiers.healthy.min_score=70", "health_metrics.wau_rate.green_at=0.9")
# Rules whose signals read nothing of the health score: the ledger replay gives them the same
# CTAs on both sides, week by week (like is compared with like).
RULES_WITHOUT_HEALTH = ("quota_80", "seat_expansion", "nps_detractor", "ticket_surge")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@dataclass(frozen=True)
class Whatif:
    result: object
    out: Path  # latest.duckdb
    serving: Path
    hashes_before: dict[str, str]
    hashes_after: dict[str, str]


@pytest.fixture(scope="module")
def stricter(demo_published, tmp_path_factory: pytest.TempPathFactory) -> Whatif:
    folder = tmp_path_factory.mktemp("whatif")
    env = {**demo_published.env, "CSWH_WHATIF_DIR": str(folder)}
    files = {"warehouse": demo_published.warehouse, "serving": demo_published.serving}
    before = {name: sha256(path) for name, path in files.items()}
    args = [a for change in STRICTER for a in ("--set", change)]
    result = run_cswh("whatif", *args, env=env)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    after = {name: sha256(path) for name, path in files.items()}
    return Whatif(result, folder / "latest.duckdb", demo_published.serving, before, after)


def test_warehouse_and_serving_copy_are_byte_identical_afterwards(stricter) -> None:
    assert stricter.hashes_after == stricter.hashes_before
    assert not (stricter.out.parent / "scratch" / "warehouse.duckdb").exists(), "scratch removed"


def test_stricter_thresholds_move_accounts_down_a_tier(stricter) -> None:
    dist = rows(
        stricter.out,
        "select health_tier, accounts_now, accounts_proposed from tier_distribution "
        "where health_tier <> 'unknown' order by sort_order",
    )
    assert sum(r[1] for r in dist) == sum(r[2] for r in dist) > 0, "the same accounts, re-tiered"
    # counted from the best tier down, the proposed side never has more in the top k tiers
    top_now = top_proposed = 0
    for _tier, now, proposed in dist[:-1]:
        top_now, top_proposed = top_now + now, top_proposed + proposed
        assert top_proposed <= top_now
    assert dist[0][2] < dist[0][1] or dist[1][2] < dist[1][1], dist
    assert dist[-1][2] >= dist[-1][1], "critical can only gain"

    moves = rows(
        stricter.out,
        "select account_id, account_name, segment, health_score_now, health_score_proposed, "
        "health_tier_now, health_tier_proposed, tier_move, tier_steps from tier_changes",
    )
    assert moves, "a stricter threshold moves some accounts"
    order = {"excellent": 1, "healthy": 2, "at_risk": 3, "critical": 4}
    for aid, name, segment, now, proposed, tier_now, tier_proposed, move, steps in moves:
        assert name and segment, aid
        assert proposed <= now + 1e-9, (aid, now, proposed)
        assert order[tier_proposed] > order[tier_now], (aid, tier_now, tier_proposed)
        assert (move, steps) == ("down", order[tier_proposed] - order[tier_now])
    # the list and the distribution say the same
    by_tier = {t: p - n for t, n, p in dist}
    for tier in by_tier:
        gained = sum(1 for m in moves if m[6] == tier) - sum(1 for m in moves if m[5] == tier)
        assert gained == by_tier[tier], tier
    (down, up, changing) = rows(
        stricter.out, "select accounts_down, accounts_up, accounts_changing_tier from whatif_run"
    )[0]
    assert (down, up, changing) == (len(moves), 0, len(moves))
    assert "down" in stricter.result.stdout and "->" in stricter.result.stdout


def test_comparison_records_the_changes(stricter) -> None:
    assert rows(
        stricter.out,
        "select seed, key, column_name, value_now, value_proposed from whatif_changes "
        "order by seed",
    ) == [
        ("health_metrics", "wau_rate", "green_at", "0.6", "0.9"),
        ("health_tiers", "healthy", "min_score", "60", "70"),
    ]
    (as_of,) = rows(stricter.serving, "select max(snapshot_date) from marts.fct_account_health")[0]
    assert rows(stricter.out, "select as_of_date from whatif_run")[0][0] == as_of


def test_now_side_is_todays_published_state(stricter) -> None:
    """The demo's warehouse was built by a first run (a ledger replay at D), so today's side
    of the comparison, replayed on the scratch copy, is exactly what is published."""
    published = dict(
        rows(
            stricter.serving,
            "select health_tier, count(*) from marts.fct_account_health where snapshot_date = "
            "(select max(snapshot_date) from marts.fct_account_health) group by health_tier",
        )
    )
    now = dict(rows(stricter.out, "select health_tier, accounts_now from tier_distribution"))
    assert {t: n for t, n in now.items() if n} == published
    assert rows(
        stricter.serving,
        "select health_tier, snapshots, churn_rate_180d, expansion_rate_180d "
        "from marts.mart_health_calibration order by health_tier",
    ) == rows(
        stricter.out,
        "select health_tier, snapshots_now, churn_rate_180d_now, expansion_rate_180d_now "
        "from calibration order by health_tier",
    )
    assert rows(
        stricter.serving,
        "select cta_type, count(*) from marts.fct_cta_candidates group by 1 order by 1",
    ) == rows(stricter.out, "select cta_type, ctas_now from ctas_by_rule order by 1")


def test_ctas_compared_like_with_like(stricter) -> None:
    differing = rows(
        stricter.out,
        "select cta_type, week_start, ctas_now, ctas_proposed from ctas_by_week "
        f"where cta_type in {RULES_WITHOUT_HEALTH} and ctas_now <> ctas_proposed",
    )
    assert differing == []
    # health_drop / health_jump read the rescored history: a stricter wau_rate moves them
    changed = rows(stricter.out, "select cta_type from ctas_by_rule where ctas_change <> 0")
    assert {r[0] for r in changed} <= {"health_drop", "health_jump", "onboarding_90d"}
    assert changed, "a rescored history changes the health rules' CTAs"


def test_proposal_failing_a_seed_test_is_refused(demo_published, tmp_path) -> None:
    """A value of the right type can still break a rule the seed's dbt tests hold (red_at must
    differ from green_at): dbt runs those tests on the proposed seeds first, exit 2."""
    env = {**demo_published.env, "CSWH_WHATIF_DIR": str(tmp_path)}
    before = sha256(demo_published.warehouse)
    result = run_cswh("whatif", "--set", "health_metrics.wau_rate.green_at=0.15", env=env)
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "assert_health_seed_thresholds_valid" in result.stderr
    assert not (tmp_path / "latest.duckdb").exists()
    assert sha256(demo_published.warehouse) == before


# -- the page ------------------------------------------------------------------------------------


def test_page_shows_the_latest_comparison(stricter, monkeypatch) -> None:
    from tests.dashboard_support import open_page

    monkeypatch.setenv("CSWH_SERVING", str(stricter.serving))
    monkeypatch.setenv("CSWH_WHATIF_DIR", str(stricter.out.parent))
    at = open_page("whatif")
    assert at.title[0].value.endswith("?")
    assert not at.warning, [w.value for w in at.warning]
    metrics = {m.label: m.value for m in at.metric}
    (changing, down) = rows(
        stricter.out, "select accounts_changing_tier, accounts_down from whatif_run"
    )[0]
    assert metrics["Would change tier / ティア変動"] == f"{changing:,}"
    assert metrics["Down a tier / 悪化"] == f"{down:,}"
    shown = [df.value for df in at.dataframe]
    moves = next(d for d in shown if "health_tier_proposed" in d.columns)
    assert len(moves) == changing
    # tiers read as their Japanese labels, with the code beside them
    ja = {
        "excellent": "極めて良好",
        "healthy": "概ね健全",
        "at_risk": "注意が必要",
        "critical": "対応が必要",
    }
    expected = rows(stricter.out, "select health_tier_now, health_tier_proposed from tier_changes")
    assert sorted(
        zip(moves["health_tier_now"], moves["health_tier_proposed"], strict=True)
    ) == sorted((f"{ja[a]} ({a})", f"{ja[b]} ({b})") for a, b in expected)


def test_page_without_a_comparison_says_how_to_make_one(stricter, tmp_path, monkeypatch) -> None:
    from tests.dashboard_support import open_page

    monkeypatch.setenv("CSWH_SERVING", str(stricter.serving))
    monkeypatch.setenv("CSWH_WHATIF_DIR", str(tmp_path / "none-yet"))
    at = open_page("whatif")
    assert any("No comparison yet" in i.value and "cswh whatif" in i.value for i in at.info)
    assert len(at.metric) == 4


# -- bad input: refused before anything runs ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "health_metrics.wau_rate.green_at=high"], "'high' is not of type double"),
        (["--set", "health_metric.wau_rate.green_at=0.5"], "no seed 'health_metric'"),
        (["--set", "health_metrics.wau.green_at=0.5"], "has no row with metric = 'wau'"),
        (["--set", "health_metrics.wau_rate.green=0.5"], "has no column 'green'"),
        (["--set", "health_metrics.wau_rate.metric=x"], "metric is the key"),
        (["--set", "health_metrics.wau_rate.enabled=maybe"], "'maybe' is not of type boolean"),
        (["--set", "health_metrics.wau_rate.red_at="], "must not be empty"),
        (["--set", "cta_rules.quota_80.cooldown_days=1.5"], "'1.5' is not of type integer"),
        (["--set", "playbooks.quota_80__pooled.channel=fax"], "'fax' is not one of"),
        (["--set", "health_tiers.healthy"], "write SEED.KEY.COLUMN=VALUE"),
    ],
)
def test_bad_set_is_refused_with_exit_2(args, message, tmp_path, monkeypatch, capsys) -> None:
    for var, value in {
        "CSWH_DATA_DIR": tmp_path / "raw",
        "CSWH_WAREHOUSE": tmp_path / "warehouse.duckdb",
        "CSWH_SERVING": tmp_path / "serving.duckdb",
        "CSWH_APP_DB": tmp_path / "app.sqlite",
        "CSWH_DOCS_DIR": tmp_path / "docs",
        "CSWH_WHATIF_DIR": tmp_path / "whatif",
        "DAGSTER_HOME": tmp_path / "dagster_home",
        "PATH": os.environ["PATH"],
    }.items():
        monkeypatch.setenv(var, str(value))
    assert cli.main(["whatif", *args]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("cswh whatif: ") and message in err, err
    assert not any(tmp_path.iterdir()), "nothing was run or written"


def test_seeds_dir_rows_replace_the_columns_they_give(tmp_path) -> None:
    (tmp_path / "health_tiers.csv").write_text("tier,min_score\nhealthy,65\nexcellent,85\n")
    (tmp_path / "cta_rules.csv").write_text("cta_type,threshold,enabled\nquota_80,0.9,FALSE\n")
    seeds = SeedSet()
    changes = seeds.parse_dir(tmp_path)
    proposed = seeds.proposed(changes)
    tiers = {r["tier"]: r for r in proposed["health_tiers"]}
    assert (tiers["healthy"]["min_score"], tiers["excellent"]["min_score"]) == ("65", "85")
    assert tiers["healthy"]["colour"] == "#91cf60", "columns the file lacks stay as they are"
    assert tiers["at_risk"]["min_score"] == "40", "rows the file lacks stay as they are"
    quota = next(r for r in proposed["cta_rules"] if r["cta_type"] == "quota_80")
    assert (quota["threshold"], quota["enabled"]) == ("0.9", "false")
    assert {(d.seed, d.key, d.column) for d in seeds.differences(proposed)} == {
        ("health_tiers", "healthy", "min_score"),
        ("health_tiers", "excellent", "min_score"),
        ("cta_rules", "quota_80", "threshold"),
        ("cta_rules", "quota_80", "enabled"),
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("health_tiers.csv", "tier,min_score\nsuperb,90\n", "has no row with tier = 'superb'"),
        ("health_tiers.csv", "min_score\n65\n", "the key column tier is missing"),
        ("health_tiers.csv", "tier,min_score\nhealthy,65\nhealthy,66\n", "appears twice"),
        (
            "health_tiers.csv",
            "tier,min_score\nhealthy,sixty\n",
            "line 2: 'sixty' is not of type double",
        ),
        ("tiers.csv", "tier,min_score\nhealthy,65\n", "no seed 'tiers'"),
    ],
)
def test_bad_seeds_dir_is_refused(name, text, message, tmp_path) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(ChangeError, match=message.replace("(", r"\(")):
        SeedSet().parse_dir(tmp_path)


# -- in a real browser ---------------------------------------------------------------------------


def test_page_in_the_browser(stricter, tmp_path) -> None:
    """`cswh dashboard` in Chromium on the demo with the comparison: the page draws its numbers
    and Japanese tier labels; screenshot in test-artifacts/browser/whatif-comparison.png."""
    from tests.dashboard_support import add_user
    from tests.support import CSWH
    from tests.test_browser_dashboard import (
        CHROMIUM,
        CHROMIUM_ARGS,
        SHOTS,
        TIMEOUT_MS,
        _free_port,
        _start,
        _stop,
        metric_value,
        settle,
        sign_in,
    )

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    env = {k: v for k, v in os.environ.items() if not k.startswith("CSWH_")}
    env.update(
        CSWH_SERVING=str(stricter.serving),  # read-only: the app never writes it
        CSWH_WHATIF_DIR=str(stricter.out.parent),
        CSWH_APP_DB=str(tmp_path / "app.sqlite"),
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        CSWH_USERS_DB=str(tmp_path / "users" / "users.sqlite"),
    )
    add_user("whatif-manager", "manager", Path(env["CSWH_USERS_DB"]))  # managers read it
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = SHOTS / "streamlit-whatif.log"
    log.write_text("")
    port = _free_port()
    proc = _start([*CSWH, "dashboard", "--port", str(port)], env, log, port)
    assert proc is not None, f"the dashboard did not start; see {log}"
    (changing,) = rows(stricter.out, "select accounts_changing_tier from whatif_run")[0]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"http://127.0.0.1:{port}/whatif")
            settle(page)
            sign_in(page, "whatif-manager")
            label = page.locator("svg text", has_text="対応が必要 (critical)")  # a chart axis
            label.first.wait_for()
            page.screenshot(path=str(SHOTS / "whatif-comparison.png"), full_page=True)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator("h1").first.inner_text().strip().endswith("?")
            assert metric_value(page, "Would change tier") == f"{changing:,}"
            browser.close()
    finally:
        _stop(proc)
