"""Processes that validate into one docs dir while others render its Data Docs (two runs on
two warehouses sharing a checkout's docs dir, or a run beside `cswh docs`): no one fails,
every GX file there still parses, and every validation shows up in the Data Docs."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

import pytest
import yaml

from dagster_project.config import Settings
from dagster_project.quality.docs import refresh_data_docs
from dagster_project.quality.gx_store import VALIDATIONS_DIR
from dagster_project.quality.runner import run_suites
from dagster_project.quality.suites import all_suites
from tests.crash_support import WatchedRun
from tests.quality_support import build_warehouse
from tests.support import cswh_env

AS_OF = date(2026, 10, 31)
VALIDATORS = 3
ROUNDS = 4
RENDERERS = 2
RENDER_ROUNDS = 2


def _settings(warehouse: Path, docs_dir: Path) -> Settings:
    return dataclasses.replace(
        Settings.from_env(), warehouse=warehouse, docs_dir=docs_dir, as_of=AS_OF.isoformat()
    )


def _validate(warehouse: str, docs_dir: str, run_ids: list[str]) -> int:
    suites = all_suites()  # five have a table in build_warehouse; the rest are skipped
    for run_id in run_ids:
        run_suites(Path(warehouse), suites, run_id, gx_dir=Path(docs_dir))
    return len(run_ids)


def _render(warehouse: str, docs_dir: str, rounds: int) -> int:
    for _ in range(rounds):
        refresh_data_docs(_settings(Path(warehouse), Path(docs_dir)))
    return rounds


def test_validations_and_renders_at_once_share_a_docs_dir(tmp_path: Path) -> None:
    docs_dir = tmp_path / "docs"
    warehouses = [build_warehouse(tmp_path / f"wh{i}.duckdb") for i in range(VALIDATORS)]
    run_ids = [[f"run-{i}-{k}" for k in range(ROUNDS)] for i in range(VALIDATORS)]
    # spawn: fresh interpreters, as separate `cswh` processes would be.
    with ProcessPoolExecutor(
        VALIDATORS + RENDERERS, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        jobs = [
            pool.submit(_validate, str(wh), str(docs_dir), ids)
            for wh, ids in zip(warehouses, run_ids, strict=True)
        ]
        jobs += [
            pool.submit(_render, str(warehouses[0]), str(docs_dir), RENDER_ROUNDS)
            for _ in range(RENDERERS)
        ]
        errors = [
            f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"
            for e in (j.exception() for j in jobs)
            if e is not None
        ]
    assert not errors, "\n".join(errors)

    _assert_gx_files_whole_and_unshared(docs_dir)

    # One more render (as after a run) lists every validation of every process.
    index = refresh_data_docs(_settings(warehouses[0], docs_dir)).read_text(encoding="utf-8")
    missing = [r for ids in run_ids for r in ids if r not in index]
    assert missing == []


@pytest.mark.slow
def test_two_runs_on_two_warehouses_share_one_docs_dir(tiny_zone: Path, tmp_path: Path) -> None:
    """Two `cswh run` started together, each with its own warehouse, serving copy and Dagster
    home, one docs dir (as two warehouses in one checkout have): both validate and render
    Data Docs at about the same moments, and both succeed."""
    docs_dir = tmp_path / "docs"
    shutil.copytree(tiny_zone, tmp_path / "raw")
    envs = [
        cswh_env(tmp_path / name, CSWH_DATA_DIR=str(tmp_path / "raw"), CSWH_DOCS_DIR=str(docs_dir))
        for name in ("a", "b")
    ]
    runs = [WatchedRun.start(env) for env in envs]
    codes = [r.finish(timeout=1800) for r in runs]
    for r, code in zip(runs, codes, strict=True):
        assert code == 0, r.output[-4000:]
        assert "data quality report not refreshed" not in r.output, r.output[-4000:]

    _assert_gx_files_whole_and_unshared(docs_dir)
    index = (docs_dir / "data_docs" / "index.html").read_text(encoding="utf-8")
    for r in runs:
        run_id = re.search(r"run ([0-9a-f-]{36}): succeeded", r.output).group(1)
        assert run_id in index


def _assert_gx_files_whole_and_unshared(docs_dir: Path) -> None:
    # Whatever GX keeps in the docs dir is whole: every YAML and JSON file parses.
    stored = [p for p in (docs_dir / "gx").rglob("*") if p.is_file()]
    for path in stored:
        if path.suffix in (".yml", ".yaml"):
            assert isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict), path
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))
    # And it is only the validation results, one file per suite and run: no file that two
    # processes write (GX's project config, suites, datasources).
    shared = [p for p in stored if not p.is_relative_to(docs_dir / VALIDATIONS_DIR)]
    assert shared == []
    assert len(stored) == len({p.parent for p in stored})
