"""The Dagster UI that CS Ops open: `cswh ui` on a free localhost port, the global asset graph
in headless Chromium, a screenshot saved to test-artifacts/dagster/ (git-ignored)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from dagster_project.config import PROJECT_ROOT
from tests.support import CSWH, cswh_env

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
START_TIMEOUT = 300  # s: loading the code location imports dagster-dbt and the manifest
PAGE_TIMEOUT_MS = 120_000

_WORKSPACE = """
{ workspaceOrError { __typename ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def _location_entries(port: int) -> list[dict] | None:
    """The code locations once the webserver answers and none is still loading."""
    try:
        data = _graphql(port, _WORKSPACE)["workspaceOrError"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if data.get("__typename") != "Workspace":
        return None
    entries = data["locationEntries"]
    if not entries or any(e["locationOrLoadError"] is None for e in entries):
        return None
    return entries


def _stop(proc: subprocess.Popen) -> None:
    """`dagster dev` runs a webserver, a daemon and a code server: stop the whole group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):  # children that outlived the parent
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ui")
    (root / "raw").mkdir()  # an empty landing zone: the sensor has nothing to start
    port = _free_port()
    log = root / "cswh_ui.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*CSWH, "ui", "--port", str(port)],
            env=cswh_env(root),
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        t0 = time.monotonic()
        entries = None
        while time.monotonic() - t0 < START_TIMEOUT and proc.poll() is None:
            entries = _location_entries(port)
            if entries:
                break
            time.sleep(1)
        assert entries, f"cswh ui did not come up:\n{log.read_text()[-4000:]}"
        print(f"cswh ui answered after {time.monotonic() - t0:.0f} s")
        yield port, entries, root
    finally:
        _stop(proc)


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
