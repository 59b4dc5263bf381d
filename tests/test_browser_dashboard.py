"""The dashboard in a real browser: Playwright drives Debian's Chromium against a running server.

The server is `cswh dashboard` (falling back to the same `streamlit run` command while the CLI
does not start it yet) on a free localhost port, reading a serving copy published by the real
pipeline on the tiny zone. Screenshots go to test-artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project import app_store, publish
from dagster_project.config import PROJECT_ROOT
from tests.dashboard_support import (
    APP,
    ARTIFACTS,
    NEEDS,
    TEST_PASSWORD,
    add_user,
    current_kpi_month,
    dev_serving,
    modified_copy,
    published_serving,
    query,
    skip_unless_published,
    tables,
)
from tests.support import CSWH

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ARTIFACTS / "browser"
BROWSER_USER = "browser-test"  # cs_ops: every page, every form
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _start(cmd: list[str], env: dict[str, str], log: Path, port: int) -> subprocess.Popen | None:
    """Start a server; None if it exits before answering (e.g. the CLI lacks the command)."""
    out = log.open("ab")
    proc = subprocess.Popen(
        cmd, env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if _healthy(port):
            return proc
        if proc.poll() is not None:
            return None
        time.sleep(0.3)
    _stop(proc)
    raise AssertionError(f"dashboard did not answer on port {port}; see {log}")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group we started: cswh and its streamlit
        proc.wait(20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def _serve(
    tmp_path_factory: pytest.TempPathFactory,
    published: Path,
    name: str,
    extra_env: dict[str, str] | None = None,
) -> Iterator[dict]:
    """`cswh dashboard` on a private copy of ``published`` (tests may publish over it), with
    a users file holding BROWSER_USER (cs_ops); tests may add users to it."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    root = tmp_path_factory.mktemp(name)
    live = root / "serving.duckdb"  # the app's own copy: this module publishes over it
    live.write_bytes(published.read_bytes())
    app_db = root / "app.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSWH_")}
    env.update(
        CSWH_SERVING=str(live),
        CSWH_APP_DB=str(app_db),
        CSWH_DOCS_DIR=str(root / "docs"),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
    )
    users_db = root / "users" / "users.sqlite"
    add_user(BROWSER_USER, "cs_ops", users_db)
    env["CSWH_USERS_DB"] = str(users_db)
    env.update(extra_env or {})
    SHOTS.mkdir(parents=True, exist_ok=True)
    log = SHOTS / f"streamlit-{name}.log"
    log.write_text("")
    port = _free_port()
    via = "cswh dashboard"
    proc = _start([*CSWH, "dashboard", "--serving", str(live), "--port", str(port)], env, log, port)
    if proc is None:  # `cswh dashboard` not wired yet: the command it is specified to run
        via = "streamlit run"
        proc = _start(
            [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--browser.serverAddress", "localhost"],  # no external-IP lookup on start
            env, log, port,
        )  # fmt: skip
        assert proc is not None, f"streamlit exited early; see {log}"
    try:
        yield {
            "url": f"http://127.0.0.1:{port}",
            "serving": live,
            "app_db": app_db,
            "users_db": users_db,
            "root": root,
            "via": via,
        }
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> Iterator[dict]:
    """The app on the serving copy of a real `cswh run` on the tiny zone."""
    yield from _serve(tmp_path_factory, published_serving(tmp_path_factory, tiny_zone), "browser")


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The app on the hand-made copy: about a thousand customers, a provisional D, the
    columns the daily pipeline adds (what a person sees of them is checked here)."""
    yield from _serve(tmp_path_factory, dev_serving(tmp_path_factory), "browser-dev")


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    context.close()


def settle(page) -> None:
    """The script has finished and the browser has drawn its output (no placeholders left)."""
    page.wait_for_selector(IDLE)
    page.wait_for_function("!document.querySelector('[data-testid=\"stSkeleton\"]')")


def sign_in(page, name: str = BROWSER_USER, password: str = TEST_PASSWORD) -> None:
    """Sign in through the real form (the page shows it to a signed-out visitor)."""
    form = page.locator('[data-testid="stForm"]')
    form.get_by_label("Name / ユーザー名").fill(name)
    form.get_by_label("Password / パスワード").fill(password)
    form.get_by_role("button", name=re.compile("Sign in")).click()
    # the answer: the form gone (signed in; the page runs) or the error (after its delay)
    page.wait_for_function(
        "!document.querySelector('input[type=password]')"
        " || document.querySelector('[data-testid=\"stAlertContentError\"]')"
    )
    settle(page)


def visit(page, url: str, as_user: str | None = BROWSER_USER) -> None:
    """Open ``url`` (a new session: signed out) and sign in as ``as_user`` (None: don't)."""
    page.goto(url)
    settle(page)
    if as_user is not None and page.get_by_label("Password / パスワード").count():
        sign_in(page, as_user)
    page.wait_for_selector("h1")


def url(server: dict, page_name: str) -> str:
    """The overview is the default page: it lives at the app's root."""
    return f"{server['url']}/" + ("" if page_name == "overview" else page_name)


def metric_value(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize("path", list(NEEDS))
def test_every_page_loads_without_exception(server, page, path) -> None:
    skip_unless_published(server["serving"], path)
    visit(page, url(server, path))
    page.screenshot(path=str(SHOTS / f"{path}.png"), full_page=True)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator("h1").first.inner_text().strip().endswith("?")
    assert page.locator('[data-testid="stMetric"]').count() >= 4


def test_kpi_numbers_match_sql(server, page) -> None:
    serving = server["serving"]
    skip_unless_published(serving, "overview")
    month = current_kpi_month(serving)
    (active, at_risk, raised) = query(
        serving,
        "select active_customers, at_risk_accounts, ctas_raised from marts.mart_kpi_monthly"
        " where month = ? and segment = 'all'",
        [month],
    )[0]
    visit(page, url(server, "overview"))
    assert as_int(metric_value(page, "Active customers")) == active
    assert as_int(metric_value(page, "At-risk accounts")) == at_risk
    assert as_int(metric_value(page, "CTAs raised")) == raised


def record_won(page, note: str) -> None:
    """Record `won` with ``note`` for the CTA the queue's form offers first, through the form."""
    # the outcome sits above the form (the form's reason and snooze fields follow it)
    page.locator('[data-testid="stRadio"]').get_by_text("成約 (won)").click()
    settle(page)
    form = page.locator('[data-testid="stForm"]')
    assert form.get_by_label("Recorded by / 記録者").count() == 0  # who is the signed-in user
    form.get_by_label("Note / メモ").fill(note)
    form.get_by_role("button", name=re.compile("Record")).click()
    page.locator('[data-testid="stAlertContentSuccess"]').wait_for()
    settle(page)


def test_outcome_recorded_in_the_browser_reaches_the_store(server, page) -> None:
    serving = server["serving"]
    skip_unless_published(serving, "ctas")
    open_ids = {
        r[0]
        for r in query(serving, "select cta_id from marts.fct_cta_candidates where status = 'open'")
    }
    assert open_ids, "the tiny zone raises open CTAs"
    visit(page, url(server, "ctas"))
    record_won(page, "ブラウザから記録")
    page.screenshot(path=str(SHOTS / "ctas-recorded.png"), full_page=True)
    rows = [
        r
        for r in app_store.read_outcomes(server["app_db"]).to_pylist()
        if r["recorded_by"] == BROWSER_USER  # the signed-in user
    ]
    assert len(rows) == 1
    assert rows[0]["outcome"] == "won" and rows[0]["note"] == "ブラウザから記録"
    assert rows[0]["cta_id"] in open_ids


def test_new_publish_shows_without_restart(server, page) -> None:
    live = server["serving"]
    skip_unless_published(live, "overview")
    month = current_kpi_month(live)
    (before,) = query(
        live,
        "select active_customers from marts.mart_kpi_monthly where month = ? and segment = 'all'",
        [month],
    )[0]
    visit(page, url(server, "overview"))
    assert as_int(metric_value(page, "Active customers")) == before
    nxt = modified_copy(
        live,
        server["root"] / "next-warehouse.duckdb",
        "update marts.mart_kpi_monthly set active_customers = active_customers + 1000",
    )
    publish.publish(nxt, live)  # the pipeline's own atomic publish, while the app runs
    assert "marts.mart_kpi_monthly" in tables(live)
    page.reload()  # a new session: signed in again
    settle(page)
    sign_in(page)
    from playwright.sync_api import expect

    expect(
        page.locator('[data-testid="stMetric"]')
        .filter(has_text="Active customers")
        .locator('[data-testid="stMetricValue"]')
    ).to_have_text(f"{before + 1000:,}")
    page.screenshot(path=str(SHOTS / "overview-after-publish.png"), full_page=True)


# --- what a person sees of the daily pipeline (on the hand-made copy) ---------------------------

CHART_JS = """el => ({
    title: el.querySelector('g.role-title text')?.textContent,
    y_labels: [...el.querySelectorAll('g.role-axis')].filter(
        a => a.getAttribute('aria-label')?.startsWith('Y-axis')
    ).flatMap(a => [...a.querySelectorAll('g.role-axis-label text')].map(t => t.textContent)),
    points: [...el.querySelectorAll('g.mark-symbol.role-mark path')].map(p => ({
        fill: p.getAttribute('fill'), label: p.getAttribute('aria-label') || ''
    })),
    dashes: [...el.querySelectorAll('g.mark-line path')].map(
        p => p.getAttribute('stroke-dasharray')
    ),
})"""


def drawn_charts(page) -> list[dict]:
    """Every chart on the page as drawn (SVG): title, y-axis labels, points, line dashes."""
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    charts.last.locator("svg g.role-axis").first.wait_for()
    return [charts.nth(i).evaluate(CHART_JS) for i in range(charts.count())]


def test_overview_axes_read_as_a_manager_expects(dev_server, page) -> None:
    serving = dev_server["serving"]
    known = dict(
        query(
            serving,
            "select 'at_risk', count(at_risk_accounts) from marts.mart_kpi_monthly"
            " where segment = 'all' union all select 'reaction', count(reaction_rate)"
            " from marts.mart_kpi_monthly where segment = 'all'",
        )
    )
    visit(page, url(dev_server, "overview"))
    page.get_by_text("Monthly trend").scroll_into_view_if_needed()
    charts = {c["title"]: c for c in drawn_charts(page)}
    page.screenshot(path=str(SHOTS / "overview-trends.png"), full_page=True)
    labels = [lbl for c in charts.values() for lbl in c["y_labels"]]
    assert labels and not [lbl for lbl in labels if re.search(r"\de[+-]?\d", lbl)], labels
    assert "1,000" in charts["Active customers"]["y_labels"]  # thousands separators
    assert {"100", "200", "300"} <= set(charts["At-risk accounts"]["y_labels"])
    for title in ("Renewal rate", "Reaction rate"):
        assert all(re.fullmatch(r"\d+%", lbl) for lbl in charts[title]["y_labels"]), title
    # a point for every month with a value, none for the months nobody can tell about
    assert len(charts["At-risk accounts"]["points"]) == known["at_risk"]
    assert len(charts["Reaction rate"]["points"]) == known["reaction"]
    assert len(charts["Active customers"]["points"]) > known["at_risk"]


@pytest.mark.parametrize("path", ["health", "account"])
def test_provisional_snapshot_is_marked_on_history_charts(dev_server, page, path) -> None:
    from playwright.sync_api import expect

    ((d,),) = query(
        dev_server["serving"],
        "select distinct snapshot_date from marts.fct_account_health where is_provisional",
    )
    visit(page, url(dev_server, path))
    note = page.get_by_text(f"{d} (provisional: replaced by tomorrow's run)")
    note.scroll_into_view_if_needed()
    expect(note).to_be_visible()
    history = [
        c for c in drawn_charts(page) if any(p["fill"] == "transparent" for p in c["points"])
    ]
    page.screenshot(path=str(SHOTS / f"{path}-provisional.png"), full_page=True)
    assert history, "a hollow point on the history charts"
    for chart in history:
        assert "5,4" in chart["dashes"], "a dashed segment leads to it"
        hollow = [p["label"] for p in chart["points"] if p["fill"] == "transparent"]
        # only D is hollow; the settled snapshots are drawn as a solid line
        assert all(f"date: {d:%b} {d.day}, {d.year};" in h for h in hollow), hollow
        assert all(h.endswith("snapshot: provisional") for h in hollow), hollow
