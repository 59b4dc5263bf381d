"""Text from the data in the pages: never a spreadsheet formula in a download, never markup.

A copy of the tiny zone where one account is named ``=HYPERLINK(...)`` (its NPS comment
starts with ``@``, an override reason with ``+``) and another ``**bold** <b>x</b> [link](...)``
goes through the real pipeline; the pages are run headless (AppTest) on its serving copy.
The CSV bytes each download button offers hold the formulas defused (``'=HYPERLINK``);
every element that renders markdown shows the names escaped, so they read literally.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest

from dagster_project.extract.text import decode
from tests.dashboard_support import (
    PAGES,
    captured_downloads,
    literal,
    markdown_texts,
    open_page,
    skip_unless_published,
)
from tests.support import published_tiny, query
from tests.test_browser_dashboard import browser, page  # noqa: F401 (fixtures)

FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'
MARKUP_NAME = "**bold** <b>x</b> [link](http://evil.example)"
NPS_COMMENT = "@SUM(1+1)*cmd|' /C calc'!A0"
OVERRIDE_REASON = "+cmd|' /C calc'!A0"

pytestmark = pytest.mark.slow


def _edit_csv(path: Path, edit) -> None:
    """Rewrite a landing-zone CSV (UTF-8 or CP932) as UTF-8 with ``edit(rows)`` applied."""
    text, _ = decode(path.read_bytes())
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    fields = list(rows[0])
    edit(rows)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path):
    """(serving copy, the =HYPERLINK account's id, the markup account's id)."""
    zone = tmp_path_factory.mktemp("hostile-pages") / "raw"
    shutil.copytree(tiny_zone, zone)
    accounts = zone / "crm" / "accounts.csv"
    ids = [r["account_id"] for r in csv.DictReader(io.StringIO(decode(accounts.read_bytes())[0]))]
    nps = sorted((zone / "nps").glob("responses*.csv"))[-1]
    answered: list[str] = []

    def comment(rows) -> None:
        row = next(r for r in rows if r["account_id"] in ids)
        row["comment"] = NPS_COMMENT
        answered.append(row["account_id"])

    _edit_csv(nps, comment)
    formula_id = answered[0]
    markup_id = next(a for a in ids if a != formula_id)

    def rename(rows) -> None:
        for r in rows:
            r["account_name"] = {formula_id: FORMULA_NAME, markup_id: MARKUP_NAME}.get(
                r["account_id"], r["account_name"]
            )

    _edit_csv(accounts, rename)

    def reason(rows) -> None:
        rows[0]["reason"] = OVERRIDE_REASON

    _edit_csv(zone / "cs_inputs" / "overrides.csv", reason)
    serving = published_tiny(tmp_path_factory, zone).serving
    return serving, formula_id, markup_id


@pytest.fixture
def env(hostile_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    serving = hostile_run[0]
    monkeypatch.setenv("CSWH_SERVING", str(serving))
    monkeypatch.setenv("CSWH_APP_DB", str(tmp_path / "app.sqlite"))
    monkeypatch.setenv("CSWH_DOCS_DIR", str(tmp_path / "docs"))
    return hostile_run


def cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_health_downloads_defuse_formulas_and_keep_numbers(env) -> None:
    serving, formula_id, _ = env
    skip_unless_published(serving, "health")
    with captured_downloads() as got:
        open_page("health")
    latest = cells(got["health_latest.csv"])
    header, rows = latest[0], latest[1:]
    name = {r[header.index("account_id")]: r[header.index("account_name")] for r in rows}
    assert name[formula_id] == "'" + FORMULA_NAME
    assert b"'=HYPERLINK(" in got["health_latest.csv"]
    # a negative number stays a number: 28-day changes below zero are written bare
    changes = [r[header.index("health_score_change_28d")] for r in rows]
    assert any(re.fullmatch(r"-\d+(\.\d+)?", c) for c in changes), changes
    assert not any(c.startswith("'") for c in changes)
    overrides = cells(got["health_overrides.csv"])
    reasons = [r[overrides[0].index("reason")] for r in overrides[1:]]
    assert "'" + OVERRIDE_REASON in reasons
    for file, data in got.items():  # no download of the page has a live formula anywhere
        for row in cells(data):
            assert not any(c[:1] in ("=", "+", "@", "\t", "\r") for c in row), (file, row)


def test_account_360_download_defuses_the_nps_comment(env) -> None:
    serving, formula_id, _ = env
    skip_unless_published(serving, "account")
    with captured_downloads() as got:
        at = open_page("account")
        at.selectbox(key="a360_account").set_value(formula_id).run()
    assert not at.exception
    nps = [
        data for file, data in got.items() if file.endswith(f"_{formula_id}.csv") and b"SUM" in data
    ]
    assert nps, sorted(got)
    assert ("'" + NPS_COMMENT) in [c for row in cells(nps[0]) for c in row]


@pytest.mark.parametrize("which", [1, 2])
def test_account_names_render_literally(env, which: int) -> None:
    serving, *ids = env
    skip_unless_published(serving, "account")
    account_id = ids[which - 1]
    (name,) = query(
        serving, "select account_name from marts.dim_accounts where account_id = ?", [account_id]
    )[0]
    assert name in (FORMULA_NAME, MARKUP_NAME)
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    assert not at.exception
    header = at.header[0].value
    # every markdown character of the name escaped: it reads literally, no link, no bold
    assert literal(header) == name
    assert not re.search(r"(?<!\\)[*\[\]()<>=\"]", header), header
    texts = markdown_texts(at)
    assert not [t for t in texts if "evil.example" in t], "a name reached markdown unescaped"


@pytest.mark.parametrize("page_name", [p for p in PAGES if p not in ("account", "whatif")])
def test_the_other_pages_never_put_the_names_into_markdown(env, page_name: str) -> None:
    serving, *_ = env
    skip_unless_published(serving, page_name)
    at = open_page(page_name)
    leaked = [t for t in markdown_texts(at) if "evil.example" in t or "HYPERLINK" in t]
    assert not leaked, leaked


# ------------------------------------------------------------------------------ in a browser


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory, hostile_run):
    """`cswh dashboard` on the hostile run's serving copy (tests/test_browser_dashboard.py)."""
    from tests.test_browser_dashboard import _serve

    yield from _serve(tmp_path_factory, hostile_run[0], "browser-hostile")


@pytest.mark.parametrize("which", [1, 2])
def test_names_read_as_typed_in_the_browser(hostile_server, hostile_run, page, which) -> None:  # noqa: F811
    """What Chromium draws: the name as typed, no link to evil.example, no bold, no HTML."""
    from tests.test_browser_dashboard import SHOTS, visit

    account_id = hostile_run[which]
    name = FORMULA_NAME if which == 1 else MARKUP_NAME
    visit(page, f"{hostile_server['url']}/account?account={account_id}")
    main = page.locator('[data-testid="stMain"]')
    page.screenshot(path=str(SHOTS / f"hostile-account-{which}.png"))
    # as drawn, less plain()'s invisible word joiners (they only keep GFM from linking)
    headers = [h.replace("\u2060", "").strip() for h in main.locator("h2").all_inner_texts()]
    assert name in headers, headers
    links = page.locator('a[href*="evil.example"]')
    where = [
        links.nth(i).evaluate(
            "a => a.outerHTML + ' IN ' + (a.closest('[data-testid]') || {}).outerHTML"
        )[:3000]
        for i in range(links.count())
    ]
    assert not where, where
    assert main.locator("strong", has_text="bold").count() == 0
    assert main.locator("b", has_text="x").count() == 0
