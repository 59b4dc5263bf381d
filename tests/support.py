"""Helpers for tests that drive the `cswh` command in an isolated environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.config import PROJECT_ROOT

CSWH = [sys.executable, "-m", "dagster_project.cli"]


def cswh_env(root: Path, **extra: str) -> dict[str, str]:
    """Environment for a cswh subprocess whose every file lives under ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSWH_", "DBT_ENV_SECRET_"))}
    env.update(
        CSWH_DATA_DIR=str(root / "raw"),
        CSWH_WAREHOUSE=str(root / "warehouse" / "warehouse.duckdb"),
        CSWH_SERVING=str(root / "warehouse" / "serving.duckdb"),
        CSWH_RESTRICTED=str(root / "restricted" / "restricted.duckdb"),
        CSWH_SECRETS_DIR=str(root / "secrets"),
        CSWH_APP_DB=str(root / "app" / "cswh_app.sqlite"),
        CSWH_DOCS_DIR=str(root / "docs"),
        DAGSTER_HOME=str(root / "dagster_home"),
        CSWH_DUCKDB_MEMORY="2GB",
    )
    env.update(extra)
    return env


def run_cswh(*args: str, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CSWH, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
    )


@dataclass(frozen=True)
class PublishedRun:
    root: Path  # holds raw/, warehouse/, dagster_home/ ... (see cswh_env)
    env: dict[str, str]
    result: subprocess.CompletedProcess

    @property
    def serving(self) -> Path:
        return Path(self.env["CSWH_SERVING"])

    @property
    def warehouse(self) -> Path:
        return Path(self.env["CSWH_WAREHOUSE"])

    @property
    def restricted(self) -> Path:
        return Path(self.env["CSWH_RESTRICTED"])


_PUBLISHED: dict[Path, PublishedRun] = {}


def published_tiny(tmp_path_factory, zone: Path) -> PublishedRun:
    """One real `cswh run` on ``zone``, made once per test session and shared by every
    test that only reads its results. Tests that run the pipeline again use clone_root."""
    if zone not in _PUBLISHED:
        root = tmp_path_factory.mktemp("published")
        shutil.copytree(zone, root / "raw")
        env = cswh_env(root)
        result = run_cswh("run", env=env)
        assert result.returncode == 0, (
            f"cswh run failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
        _PUBLISHED[zone] = PublishedRun(root, env, result)
    return _PUBLISHED[zone]


def clone_root(published: PublishedRun, root: Path) -> dict[str, str]:
    """A private copy of a published run's files (landing zone, warehouse, Dagster history)
    to run the pipeline on again without disturbing the shared one."""
    for name in ("raw", "warehouse", "dagster_home", "app", "restricted", "secrets"):
        src = published.root / name
        if src.exists():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("*.lock"))
    return cswh_env(root)


def query(db: Path, sql: str, params: list | tuple = ()) -> list[tuple]:
    """Rows of one statement on a DuckDB file opened read-only (and closed again)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, list(params or [])).fetchall()
    finally:
        con.close()


def query_dicts(db: Path, sql: str) -> list[dict]:
    """The same, each row as a dict by column name."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute(sql)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
