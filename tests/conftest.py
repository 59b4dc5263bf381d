"""Shared fixtures: a tiny generated landing zone, made once per session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

TINY = {"accounts": 40, "seed": 7, "start": date(2025, 11, 1), "end": date(2026, 10, 31)}


@pytest.fixture(scope="session")
def tiny_zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated landing zone, made once per test session (read-only for tests)."""
    from dagster_project.synthetic import generate

    out = tmp_path_factory.mktemp("tiny") / "raw"
    generate(out, **TINY)
    return out


@pytest.fixture(scope="session")
def demo_published(tmp_path_factory: pytest.TempPathFactory):
    """The demo `make run` builds (1,000 accounts, seed 42: generate, run, the CSMs' history
    of outcomes for the CTAs raised, run again; dagster_project/synthetic/demo.py), once per
    session through the real pipeline. Tests that speak for the demo read it."""
    import subprocess
    import sys

    from tests.support import PROJECT_ROOT, PublishedRun, cswh_env

    root = tmp_path_factory.mktemp("demo")
    env = cswh_env(root)
    result = subprocess.run(
        [sys.executable, "-m", "dagster_project.synthetic.demo", "--out", str(root / "raw")],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert result.returncode == 0, f"demo failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return PublishedRun(root, env, result)


@pytest.fixture
def con():
    """An in-memory DuckDB with the raw and dq schemas extraction writes to (extract tests)."""
    import duckdb

    from dagster_project.extract import ensure_schemas

    c = duckdb.connect()
    ensure_schemas(c)
    yield c
    c.close()
