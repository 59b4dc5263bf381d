"""Helpers for tests that drive the `cswh` command in an isolated environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_project.config import PROJECT_ROOT

CSWH = [sys.executable, "-m", "dagster_project.cli"]


def cswh_env(root: Path, **extra: str) -> dict[str, str]:
    """Environment for a cswh subprocess whose every file lives under ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSWH_")}
    env.update(
        CSWH_DATA_DIR=str(root / "raw"),
        CSWH_WAREHOUSE=str(root / "warehouse" / "warehouse.duckdb"),
        CSWH_SERVING=str(root / "warehouse" / "serving.duckdb"),
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
