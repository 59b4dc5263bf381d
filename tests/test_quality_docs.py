"""Data Docs and dbt docs: built under the docs dir, open from disk in headless Chromium
with no network, show the suites, and are styled by the vendored CSS."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from dagster_project.config import Settings
from dagster_project.quality.docs import build_docs, remote_references
from dagster_project.quality.runner import run_suites
from dagster_project.quality.suites import all_suites
from tests.quality_support import build_warehouse

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("docs")
    wh = build_warehouse(root / "wh.duckdb", health_score=130.0)
    settings = dataclasses.replace(
        Settings.from_env(), warehouse=wh, docs_dir=root / "docs", as_of="2026-10-31"
    )
    suites = {s.name: s for s in all_suites()}
    run_suites(
        wh,
        [suites["raw.crm__accounts"], suites["marts.fct_account_health"]],
        "run-docs-1",
        gx_dir=settings.docs_dir,
    )
    return build_docs(settings)


def test_sites_exist_and_need_no_internet(docs: dict[str, Path]) -> None:
    assert docs["data_docs"].is_file() and docs["data_docs"].name == "index.html"
    assert docs["dbt_docs"].is_file() and docs["dbt_docs"].name == "index.html"
    assert docs["index"].is_file()
    assert remote_references(docs["data_docs"].parent) == []


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium not installed (make test)")
def test_data_docs_open_styled_offline_and_show_the_suites(docs: dict[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            remote: list[str] = []
            page.on(
                "request",
                lambda r: remote.append(r.url) if r.url.startswith(("http:", "https:")) else None,
            )
            page.goto(docs["data_docs"].as_uri())
            page.wait_for_load_state("load")
            html = page.content()
            for suite in all_suites():  # every suite is listed, validated or not
                assert suite.name in html, suite.name
            assert "run-docs-1" in html
            # Styles that only the vendored CSS gives: Bootstrap's nav-tabs border and
            # Font Awesome's icon font.
            border = page.evaluate(
                "getComputedStyle(document.querySelector('.nav-tabs')).borderBottomWidth"
            )
            assert border == "1px"
            icon_font = page.evaluate("getComputedStyle(document.querySelector('.fas')).fontFamily")
            assert "Font Awesome" in icon_font
            assert page.evaluate("typeof window.jQuery") == "function"

            page.goto(docs["dbt_docs"].as_uri())
            page.wait_for_load_state("load")
            assert "dbt" in page.title().lower() or "dbt" in page.content().lower()
            page.goto(docs["index"].as_uri())
            assert page.locator("a[href='data_docs/index.html']").count() == 1
            assert remote == [], remote
        finally:
            browser.close()
