"""Data Docs are the asset docs/data_docs, downstream of the publish: every run refreshes them,
whoever starts it, and a refresh that fails leaves the publication standing."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.config import Settings
from dagster_project.quality.docs import refresh_data_docs
from dagster_project.quality.runner import run_suites
from dagster_project.quality.suites import all_suites
from dagster_project.run import open_instance
from tests.crash_support import query
from tests.dagster_ui_support import launch_job, running_ui, wait_for_run
from tests.quality_support import build_warehouse
from tests.support import clone_root, published_tiny, run_cswh

DOCS_STEP = "docs__data_docs"


def _pages_of(site: Path, run_id: str) -> list[Path]:
    """Validation pages of one run (GX: validations/<suite>/<run name>/<time>/<batch>.html)."""
    return [p for p in (site / "validations").rglob("*.html") if run_id in p.parts]


def test_a_refresh_renders_every_validation_without_a_page(tmp_path: Path) -> None:
    """The pages of a run that never refreshed the docs (its checks stopped the publish, or
    its refresh failed) appear with the next refresh; pages already there are not redone."""
    wh = build_warehouse(tmp_path / "wh.duckdb")
    settings = dataclasses.replace(Settings.from_env(), warehouse=wh, docs_dir=tmp_path / "docs")
    suite = {s.name: s for s in all_suites()}["raw.crm__accounts"]
    site = refresh_data_docs(settings).parent  # a first, empty site

    run_suites(wh, [suite], "run-1", gx_dir=settings.docs_dir, write=False)
    refresh_data_docs(settings)
    (first,) = _pages_of(site, "run-1")
    rendered_at = first.stat().st_mtime_ns

    for run_id in ("run-2-blocked", "run-3"):
        run_suites(wh, [suite], run_id, gx_dir=settings.docs_dir, write=False)
    index = refresh_data_docs(settings).read_text(encoding="utf-8")

    assert len(_pages_of(site, "run-2-blocked")) == 1
    assert len(_pages_of(site, "run-3")) == 1
    assert "run-2-blocked" in index and "run-3" in index
    assert first.stat().st_mtime_ns == rendered_at, "an existing page was rendered again"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path):
    return published_tiny(tmp_path_factory, tiny_zone)


def _clone(published, root: Path) -> dict[str, str]:
    env = clone_root(published, root)
    shutil.copytree(published.root / "docs", root / "docs")
    return env


@pytest.mark.slow
def test_a_run_launched_from_the_dagster_ui_refreshes_the_data_docs(published, tmp_path) -> None:
    """Launched as the UI's Launchpad launches it (GraphQL launchRun on `cswh ui`): the daemon
    dequeues the run and a fresh process executes the job, as for the schedule and the sensor;
    no cswh command is involved. Its validation pages are in the site afterwards."""
    env = _clone(published, tmp_path)
    site = tmp_path / "docs" / "data_docs"
    with running_ui(tmp_path, env) as (port, entries):
        (location,) = [e["name"] for e in entries]
        run_id = launch_job(port, location, "cswh_job")
        status = wait_for_run(port, run_id, timeout=900)
    log = (tmp_path / "cswh_ui.log").read_text(errors="replace")[-4000:]
    assert status == "SUCCESS", log

    with open_instance(tmp_path / "dagster_home") as instance:
        steps = {s.step_key: s.status.value for s in instance.get_run_step_stats(run_id)}
    assert steps[DOCS_STEP] == "SUCCESS", steps
    assert _pages_of(site, run_id), "no validation page of the run launched from the UI"
    assert run_id in (site / "index.html").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_failed_refresh_leaves_the_publication_standing(published, tmp_path: Path) -> None:
    env = _clone(published, tmp_path)
    site = tmp_path / "docs" / "data_docs"
    shutil.rmtree(site)
    site.write_text("not a folder")  # GX cannot write the site; validations still store

    result = run_cswh("run", env=env)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-4000:]  # 0 = published (CONTRACT section 2)
    assert "serving copy published" in result.stdout
    assert "data quality report not refreshed" in result.stderr, out[-4000:]

    with open_instance(tmp_path / "dagster_home") as instance:
        run = instance.get_runs(limit=1)[0]
        steps = {s.step_key: s.status.value for s in instance.get_run_step_stats(run.run_id)}
    # Dagster shows the step that failed; the publish before it succeeded and is logged.
    assert steps[DOCS_STEP] == "FAILURE"
    assert steps["serving__publish"] == "SUCCESS"
    assert run.status == dg.DagsterRunStatus.FAILURE
    serving = Path(env["CSWH_SERVING"])
    logged = query(serving, "select run_id from dq.publish_log")
    assert (run.run_id,) in logged
    assert f"failed: {DOCS_STEP}" not in result.stdout  # said once, as the report's state
