"""Sign-in and roles in a real browser (Playwright, Debian's Chromium), on `cswh dashboard`
serving the tiny zone's published copy: a signed-out visitor sees only the sign-in; a csm
sees their own book and records only for it (the write refuses the rest too); an auditor
sees Data quality only and no form; recorded_by is the signed-in user; sessions expire.
Screenshots: test-artifacts/browser/roles-*.png."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dagster_project import app_store
from tests.dashboard_support import (
    PAGES,
    TEST_PASSWORD,
    add_user,
    published_serving,
    query,
    skip_unless_published,
)
from tests.test_browser_dashboard import (  # noqa: F401 (browser: a fixture used by pg)
    SHOTS,
    _serve,
    browser,
    metric_value,
    record_won,
    settle,
    sign_in,
    url,
    visit,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def pg(browser):  # noqa: F811 (browser: the shared fixture)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


MANAGER, AUDITOR = "roles-manager", "roles-auditor"
SHORT_SESSION_MINUTES = 0.1  # 6 s: the expiry test's server


def _csms(serving: Path) -> tuple[str, str]:
    """Two CSMs who each own accounts with open CTAs (the first has the most)."""
    owners = [
        r[0]
        for r in query(
            serving,
            "select a.csm_owner from marts.fct_cta_candidates c join marts.dim_accounts a"
            " using (account_id) where c.status = 'open' and a.csm_owner is not null"
            " group by 1 order by count(*) desc, 1",
        )
    ]
    assert len(owners) >= 2, "the tiny zone has two CSMs with open CTAs"
    return owners[0], owners[1]


@pytest.fixture(scope="module")
def roles(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> Iterator[dict]:
    published = published_serving(tmp_path_factory, tiny_zone)
    skip_unless_published(published, "ctas")
    for server in _serve(tmp_path_factory, published, "browser-roles"):
        csm, other = _csms(server["serving"])
        for name, role in (
            (csm, "csm"),
            (other, "csm"),
            (MANAGER, "manager"),
            (AUDITOR, "auditor"),
        ):
            add_user(name, role, server["users_db"])
        yield server | {"csm": csm, "other": other}


def _links(pg) -> list[str]:
    """The menu's page titles (each link's text ends with its title, after the icon's name)."""
    return [
        t.strip().splitlines()[-1]
        for t in pg.locator('[data-testid="stPageLink"]').all_inner_texts()
    ]


def _all_accounts(pg) -> None:
    """Turn on the csm's "All accounts (read only)" toggle in the sidebar."""
    label = "All accounts (read only) / 全顧客 (閲覧のみ)"
    pg.locator('[data-testid="stSidebar"]').get_by_text(label).click()
    expect(pg.get_by_role("switch", name=label)).to_be_checked()
    settle(pg)


def _open_ctas(serving: Path, owner: str) -> set[str]:
    return {
        r[0]
        for r in query(
            serving,
            "select c.cta_id from marts.fct_cta_candidates c join marts.dim_accounts a"
            " using (account_id) where c.status = 'open' and a.csm_owner = ?",
            [owner],
        )
    }


@pytest.mark.parametrize("path", ["overview", "ctas", "account", "data-quality"])
def test_a_signed_out_visitor_sees_only_the_sign_in(roles, pg, path) -> None:
    visit(pg, url(roles, path), as_user=None)
    if path == "ctas":
        pg.screenshot(path=str(SHOTS / "roles-signed-out.png"), full_page=True)
    assert pg.locator("h1").first.inner_text().startswith("Sign in")
    assert pg.get_by_label("Password / パスワード").count() == 1
    for hidden in ("stPageLink", "stSidebarNav", "stSidebar", "stMetric", "stDataFrame"):
        assert pg.locator(f'[data-testid="{hidden}"]').count() == 0, hidden
    assert "Data as of" not in pg.content()


def test_a_wrong_name_or_password_gets_one_message(roles, pg) -> None:
    messages = []
    for name, password in ((roles["csm"], "wrong password!"), ("nobody at all", TEST_PASSWORD)):
        visit(pg, url(roles, "ctas"), as_user=None)
        sign_in(pg, name, password)
        messages.append(pg.locator('[data-testid="stAlertContentError"]').inner_text())
        assert pg.locator('[data-testid="stMetric"]').count() == 0
    assert messages[0] == messages[1] and "Wrong name or password" in messages[0]


def test_a_csm_sees_their_book_and_records_only_for_it(roles, pg) -> None:
    serving, csm, other = roles["serving"], roles["csm"], roles["other"]
    mine = _open_ctas(serving, csm)
    visit(pg, url(roles, "ctas"), as_user=csm)
    assert _links(pg) == ["Overview (KPI)", "Health", "Account 360", "CTA queue",
                            "Playbooks and rules"]  # fmt: skip
    assert pg.get_by_text(f"Signed in as {csm} · role csm").count() == 1
    assert int(metric_value(pg, "CTAs shown").replace(",", "")) == len(mine)

    # an outcome another person recorded for the other CSM's CTA, pending until the next run
    app_store.record_outcome(
        sorted(_open_ctas(serving, other))[0], "contacted", "ops", path=roles["app_db"]
    )
    record_won(pg, "ロール試験")
    pg.screenshot(path=str(SHOTS / "roles-csm-recorded.png"), full_page=True)
    # the pending list shows the csm's own CTAs' outcomes only
    assert pg.get_by_text("Outcomes recorded since the last publish (1)").count() == 1
    rows = [
        r for r in app_store.read_outcomes(roles["app_db"]).to_pylist() if r["note"] == "ロール試験"
    ]
    assert len(rows) == 1 and rows[0]["recorded_by"] == csm and rows[0]["cta_id"] in mine

    # All accounts: the others show, read only
    shown = pg.locator('[data-testid="stMetric"]').filter(has_text="CTAs shown")
    before = shown.locator('[data-testid="stMetricValue"]').inner_text()
    _all_accounts(pg)
    expect(shown.locator('[data-testid="stMetricValue"]')).not_to_have_text(before)
    settle(pg)
    assert int(metric_value(pg, "CTAs shown").replace(",", "")) > len(mine)

    # another CSM's account on Account 360: viewable with the toggle, but no form
    (account,) = query(
        serving, "select account_id from marts.dim_accounts where csm_owner = ? limit 1", [other]
    )[0]
    pg.locator('[data-testid="stPageLink"]').filter(has_text="Account 360").click()
    pg.locator("h1").filter(has_text="Account 360").wait_for()
    settle(pg)
    expect(pg.locator('[data-testid="stForm"]')).to_have_count(2)  # their own first account
    _all_accounts(pg)
    settle(pg)
    pg.locator('[data-testid="stSelectbox"]').filter(has_text="Account / 顧客").click()
    pg.keyboard.type(account)
    pg.keyboard.press("Enter")
    expect(pg.locator('[data-testid="stForm"]')).to_have_count(0)
    settle(pg)
    pg.screenshot(path=str(SHOTS / "roles-csm-other-account.png"), full_page=True)
    assert pg.get_by_text("Read only").count() >= 1


def test_the_write_refuses_another_csms_account(roles, monkeypatch) -> None:
    """Not only hidden: the guarded write itself refuses, and nothing is written."""
    import access
    import auth

    monkeypatch.setenv("CSWH_SERVING", str(roles["serving"]))
    serving, csm, other = roles["serving"], roles["csm"], roles["other"]
    store = roles["root"] / "refused.sqlite"
    user = auth.SignedIn(csm, "csm", "password", 0, 1e12)
    theirs = sorted(_open_ctas(serving, other))[0]
    with pytest.raises(access.NotAllowed, match="only for their own accounts"):
        access.record_outcome(user, theirs, "won", path=store)
    (account,) = query(
        serving, "select account_id from marts.dim_accounts where csm_owner = ? limit 1", [other]
    )[0]
    with pytest.raises(access.NotAllowed):
        access.record_pulse(user, account, 3, path=store)
    with pytest.raises(access.NotAllowed):
        access.record_override(user, account, 20, "no", path=store)
    assert app_store.read_rows("cta_outcomes", store) == []
    mine = sorted(_open_ctas(serving, csm))[0]
    assert access.record_outcome(user, mine, "contacted", path=store).recorded_by == csm
    manager = auth.SignedIn(MANAGER, "manager", "password", 0, 1e12)
    with pytest.raises(access.NotAllowed, match="manager role may not"):
        access.record_outcome(manager, mine, "won", path=store)


def test_an_auditor_sees_data_quality_only_and_no_form(roles, pg) -> None:
    app_store.record_pulse("A-AUDIT", 4, "someone-audited", path=roles["app_db"])
    visit(pg, url(roles, "overview"), as_user=AUDITOR)  # the root: their first page
    assert pg.locator("h1").first.inner_text() == "Can we trust the latest data?"
    assert _links(pg) == ["Data quality"]
    assert pg.get_by_text("Latest writes / 最新の記録").count() == 1
    writes = pg.locator('[data-testid="stDataFrame"]').filter(has_text="CTA / account")
    assert "someone-audited" in writes.evaluate("e => e.textContent")
    assert pg.locator('[data-testid="stForm"]').count() == 0
    pg.screenshot(path=str(SHOTS / "roles-auditor.png"), full_page=True)
    for path in PAGES:
        if path in ("data-quality", "overview"):
            continue
        pg.goto(url(roles, path))  # a new session: signed out, then in again
        settle(pg)
        sign_in(pg, AUDITOR)
        pg.get_by_text("Not allowed for your role").wait_for()
        assert pg.locator('[data-testid="stMetric"]').count() == 0, path
        assert pg.locator('[data-testid="stForm"]').count() == 0, path
    pg.screenshot(path=str(SHOTS / "roles-auditor-not-allowed.png"), full_page=True)


def test_a_manager_reads_every_page_and_records_nothing(roles, pg) -> None:
    visit(pg, url(roles, "ctas"), as_user=MANAGER)
    assert len(_links(pg)) == len(PAGES)
    assert pg.locator('[data-testid="stForm"]').count() == 0
    assert pg.get_by_text("Read only: the manager role").count() == 1


@pytest.fixture(scope="module")
def short(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> Iterator[dict]:
    published = published_serving(tmp_path_factory, tiny_zone)
    extra = {"CSWH_SESSION_MINUTES": str(SHORT_SESSION_MINUTES)}
    yield from _serve(tmp_path_factory, published, "browser-short", extra)


def test_a_session_past_its_expiry_is_signed_out(short, pg) -> None:
    visit(pg, url(short, "ctas"))
    assert pg.locator('[data-testid="stMetric"]').count() >= 4
    time.sleep(SHORT_SESSION_MINUTES * 60 + 1)
    pg.locator('[data-testid="stPageLink"]').get_by_text("Health").click()
    settle(pg)
    pg.get_by_text("Your session expired").wait_for()
    pg.screenshot(path=str(SHOTS / "roles-expired.png"), full_page=True)
    assert pg.locator("h1").first.inner_text().startswith("Sign in")
    assert pg.locator('[data-testid="stMetric"]').count() == 0
    sign_in(pg)  # signing in again opens the page asked for
    pg.wait_for_selector("h1")
    assert pg.locator('[data-testid="stMetric"]').count() >= 4
