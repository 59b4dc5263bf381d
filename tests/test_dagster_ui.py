"""The Dagster UI that CS Ops open: `cswh ui` on a free localhost port, the global asset graph
in headless Chromium, a screenshot saved to test-artifacts/dagster/ (git-ignored)."""

from __future__ import annotations

import time

import pytest

from dagster_project.config import PROJECT_ROOT
from tests.dagster_ui_support import running_ui
from tests.support import cswh_env

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = PROJECT_ROOT / "test-artifacts" / "dagster"
LOCATION = "dagster_project.definitions"  # `dagster dev -m dagster_project.definitions`
GROUPS = ("extract", "staging", "intermediate", "marts", "publish")
PAGE_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ui")
    (root / "raw").mkdir()  # an empty landing zone: the sensor has nothing to start
    with running_ui(root, cswh_env(root)) as (port, entries):
        yield port, entries, root


def test_code_location_loads_without_error(dagster_ui) -> None:
    _, entries, _ = dagster_ui
    assert [e["locationOrLoadError"]["__typename"] for e in entries] == ["RepositoryLocation"], (
        entries
    )


def test_ui_uses_the_cswh_dagster_home(dagster_ui) -> None:
    _, _, root = dagster_ui
    config = (root / "dagster_home" / "dagster.yaml").read_text()
    assert "max_concurrent_runs: 1" in config
    assert "enabled: false" in config  # telemetry


def test_asset_graph_screenshot(dagster_ui) -> None:
    from playwright.sync_api import sync_playwright

    port, _, _ = dagster_ui
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "asset_graph.png"
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(PAGE_TIMEOUT_MS)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"http://127.0.0.1:{port}/asset-groups", wait_until="domcontentloaded")
            for group in GROUPS:
                page.get_by_text(group, exact=True).first.wait_for(state="visible")
            page.wait_for_load_state("networkidle")
            # First visit: Dagster's "Join the community" dialog covers the graph.
            skip = page.get_by_role("button", name="Skip")
            if skip.count():
                skip.first.click()
            time.sleep(2)  # let the graph finish its layout animation
            page.screenshot(path=str(shot))
            text = page.inner_text("body")
            # One group opened as a list: the extraction assets, one per raw table.
            page.goto(
                f"http://127.0.0.1:{port}/locations/{LOCATION}/asset-groups/extract/list",
                wait_until="domcontentloaded",
            )
            page.get_by_text("usage__daily").first.wait_for(state="visible")
            page.wait_for_load_state("networkidle")
            time.sleep(2)
            page.screenshot(path=str(SHOTS / "extract_group.png"))
            group_text = page.inner_text("body")
        finally:
            browser.close()
    assert shot.stat().st_size > 20_000
    for group in GROUPS:
        assert group in text
    for bad in ("Python error", "could not be loaded", "Something went wrong"):
        assert bad not in text
    assert "usage__daily" in group_text and "crm__accounts" in group_text
    assert not errors, errors
