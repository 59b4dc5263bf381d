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
    """The demo `make run` builds (`cswh generate` with its defaults: 1,000 accounts, seed 42),
    run once per session through the real pipeline. Tests that speak for the demo read it."""
    from tests.support import cswh_env, published_tiny, run_cswh

    zone = tmp_path_factory.mktemp("demo") / "raw"
    result = run_cswh("generate", "--out", str(zone), env=cswh_env(zone.parent))
    assert result.returncode == 0, result.stderr[-2000:]
    return published_tiny(tmp_path_factory, zone)


@pytest.fixture
def con():
    """An in-memory DuckDB with the raw and dq schemas extraction writes to (extract tests)."""
    import duckdb

    from dagster_project.extract import ensure_schemas

    c = duckdb.connect()
    ensure_schemas(c)
    yield c
    c.close()
