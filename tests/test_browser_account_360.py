"""Account 360 in a real browser: a health override and a CSM pulse set through the page's
forms, the pipeline run, and both seen on the page after a reload (CONTRACT section 11).

Playwright drives Debian's Chromium against `cswh dashboard`, which reads the serving copy of
a private clone of the session's real `cswh run` on the tiny zone and writes to the clone's
app store; `cswh run --select cs_inputs` then loads the store and publishes over that copy
while the app runs. The as-of date of that run is the day the records were made (the tiny
zone's data ends earlier): an override applies from its set date (section 11). Screenshots go
to test-artifacts/browser/.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from dagster_project import app_store
from tests.dashboard_support import add_user, columns_of, query, skip_unless_published
from tests.support import CSWH, clone_root, published_tiny, run_cswh
from tests.test_browser_dashboard import (  # noqa: F401 (browser: a fixture used by page)
    CHROMIUM,
    SHOTS,
    TIMEOUT_MS,
    _free_port,
    _start,
    _stop,
    browser,
    metric_value,
    settle,
    sign_in,
)

pytestmark = pytest.mark.slow

SET_BY = "browser-a360"  # the signed-in user (cs_ops): set_by and recorded_by
REASON = "<b>決裁者が解約を示唆</b> *要注意*"  # shown as typed, never as markup
PULSE_NOTE = "後任の決裁者と未接触"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> Iterator[dict]:
    """`cswh dashboard` on a clone of the tiny zone's published run: its serving copy and app
    store are the ones the clone's next `cswh run` loads from and publishes to."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    published = published_tiny(tmp_path_factory, tiny_zone)
    skip_unless_published(published.serving, "account")
    if "marts.fct_account_timeline" not in {
        f"{s}.{t}" for s, t in query(published.serving, "select schema_name, table_name from duckdb_tables()")
    }:  # fmt: skip
        pytest.skip("the pipeline does not publish marts.fct_account_timeline")
    root = tmp_path_factory.mktemp("a360-browser")
    env = clone_root(published, root)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        CSWH_USERS_DB=str(root / "users" / "users.sqlite"),
    )
    add_user(SET_BY, "cs_ops", Path(env["CSWH_USERS_DB"]))
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = SHOTS / "streamlit-account-360.log"
    log.write_text("")
    port = _free_port()
    proc = _start(
        [*CSWH, "dashboard", "--serving", env["CSWH_SERVING"], "--port", str(port)], env, log, port
    )
    assert proc is not None, f"cswh dashboard exited early; see {log}"
    try:
        yield {
            "url": f"http://127.0.0.1:{port}",
            "env": env,
            "serving": Path(env["CSWH_SERVING"]),
            "app_db": Path(env["CSWH_APP_DB"]),
        }
    finally:
        _stop(proc)


@pytest.fixture
def tall_page(browser):  # noqa: F811
    """A page tall enough that a screenshot shows the forms and the timeline together."""
    context = browser.new_context(viewport={"width": 1400, "height": 3200}, locale="ja-JP")
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    context.close()


def _form(page, heading: str):
    return page.locator('[data-testid="stForm"]').filter(has_text=heading)


def _submit(page, form, button: str, outcome: str, says: str) -> None:
    """Press a form's button and wait for the page's answer to it: a "success" or "error"
    alert that ``says`` this. (The alert of an earlier form may still be on the page while
    the rerun starts: waiting for any alert would read the page before this answer.)"""
    form.get_by_role("button", name=re.compile(button)).click()
    kind = "Success" if outcome == "success" else "Error"
    page.locator(f'[data-testid="stAlertContent{kind}"]').filter(has_text=says).wait_for()
    settle(page)


def _timeline_text(page) -> str:
    """The timeline table's cells (the grid's accessible table: the rows in view)."""
    grid = page.locator('[data-testid="stDataFrame"]').filter(has_text="what / 概要")
    return grid.evaluate("e => e.textContent")


def test_override_and_pulse_set_on_account_360_show_after_the_next_run(live, tall_page) -> None:
    page = tall_page
    serving = live["serving"]
    # an active account whose computed tier is not critical and whose contract runs past
    # today (the next run's D), so the override's tier shows at that run's snapshot
    (account_id,) = query(
        serving,
        "select h.account_id from marts.fct_account_health h"
        " join marts.dim_accounts a using (account_id)"
        " where h.snapshot_date = (select max(snapshot_date) from marts.fct_account_health)"
        " and h.health_tier in ('excellent', 'healthy') and a.contract_end > ?"
        " order by h.health_score desc, h.account_id limit 1",
        [app_store.now_jst().date() + timedelta(days=7)],
    )[0]
    page.goto(f"{live['url']}/account?account={account_id}")
    settle(page)
    sign_in(page, SET_BY)
    page.wait_for_selector("h1")

    # a blank reason: the reasons shown, nothing written
    override = _form(page, "Health override")
    override.get_by_label("Override score / 上書きスコア (0-100)").fill("12")
    _submit(page, override, "Set override", "error", "nothing was saved")
    page.screenshot(path=str(SHOTS / "account-360-override-error.png"))
    assert page.get_by_text("reason: required value is missing").count() == 1
    assert app_store.read_rows("overrides", live["app_db"]) == []

    # the reason given: recorded, confirmed, listed as pending
    override.get_by_label("Reason / 理由 (required)").fill(REASON)
    _submit(page, override, "Set override", "success", "Override 12 until")
    assert (
        "shown after the next run"
        in page.locator('[data-testid="stAlertContentSuccess"]').inner_text()
    )

    pulse = _form(page, "CSM pulse")
    pulse.get_by_text("2 · 懸念あり").click()
    pulse.get_by_label("Note / メモ").fill(PULSE_NOTE)
    _submit(page, pulse, "Record pulse", "success", "Pulse 2 / 5 recorded")
    assert page.get_by_text("Recorded for this account since the last publish (2)").count() == 1
    page.screenshot(path=str(SHOTS / "account-360-recorded.png"))

    (override_row,) = app_store.read_rows("overrides", live["app_db"])
    (pulse_row,) = app_store.read_rows("pulses", live["app_db"])
    assert (override_row["set_by"], pulse_row["recorded_by"]) == (SET_BY, SET_BY)
    assert (override_row["account_id"], override_row["override_score"], override_row["reason"]) == (
        account_id, 12, REASON
    )  # fmt: skip
    assert (pulse_row["account_id"], pulse_row["pulse"], pulse_row["note"]) == (
        account_id, 2, PULSE_NOTE
    )  # fmt: skip
    assert PULSE_NOTE not in _timeline_text(page)  # not before the run

    # the next run, as of the day they were recorded, publishes over the app's copy
    as_of = max(
        date.fromisoformat(override_row["set_at"][:10]),
        date.fromisoformat(pulse_row["recorded_at"][:10]),
    )
    result = run_cswh("run", "--select", "cs_inputs", "--as-of", str(as_of), env=live["env"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    page.reload()  # a new session: signed out
    settle(page)
    sign_in(page, SET_BY)
    page.wait_for_selector("h1")
    timeline = _timeline_text(page)
    page.screenshot(path=str(SHOTS / "account-360-after-run.png"))
    assert "2 / 5 · 懸念あり" in timeline and PULSE_NOTE in timeline
    assert "スコア 12（" in timeline and REASON in timeline  # the reason as typed
    assert SET_BY in timeline
    assert page.get_by_text("Recorded for this account since the last publish (0)").count() == 1

    health = columns_of(serving, "marts.fct_account_health")
    if "effective_health_tier" in health:  # section 11's columns (the health models' part)
        assert metric_value(page, "Effective score") == "12.0"
        assert metric_value(page, "Override score") == "12"
        badge = page.locator('[data-testid="stMarkdown"]').filter(has_text="computed / 算出")
        assert "対応が必要 (critical)" in badge.inner_text()
        assert page.get_by_text(REASON, exact=True).count() >= 1
    pulse_metric = query(
        serving,
        "select value from marts.fct_health_metrics where account_id = ? and metric = 'csm_pulse'"
        " and snapshot_date = (select max(snapshot_date) from marts.fct_health_metrics)",
        [account_id],
    )
    if pulse_metric:  # the pulse as a health metric (the health models' part) the page charts
        assert float(pulse_metric[0][0]) == 2
