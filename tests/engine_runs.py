"""One landing zone, built by `cswh run` on DuckDB and on Spark, compared mart by mart.

Shared by tests/test_engines_scenario.py and tests/test_engines_generated.py (two modules, so
pytest-xdist runs the two zones' Spark builds on two workers).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dagster_project.config import DBT_PROJECT_DIR, PROJECT_ROOT
from tests.engine_equality import Difference, compare_serving
from tests.support import cswh_env, run_cswh

# Both builds key people with the same salt, as one deployment switching engines would.
SALT = "engine-equality-test-salt"
ENGINES = ("duckdb", "spark")
# The marts CONTRACT.md names (sections 3, 11, 12); every other table of `marts` is compared
# too, in one further test.
CONTRACT_MARTS = (
    "dim_accounts",
    "fct_account_health",
    "fct_health_metrics",
    "fct_cta_candidates",
    "dim_playbooks",
    "mart_kpi_monthly",
    "mart_arr_movements",
    "mart_health_calibration",
    "mart_cta_effectiveness",
    "fct_health_overrides",
)


@dataclass(frozen=True)
class EngineBuilds:
    roots: dict[str, Path]
    differences: dict[str, Difference | None]

    def serving(self, engine: str) -> Path:
        return self.roots[engine] / "warehouse" / "serving.duckdb"


def build_both(tmp_path_factory, zone: Path, *run_args: str) -> EngineBuilds:
    """`cswh run` on each engine from its own copy of ``zone``; the marts compared."""
    roots = {}
    for engine in ENGINES:
        root = tmp_path_factory.mktemp(f"engine-{engine}")
        shutil.copytree(zone, root / "raw")
        env = cswh_env(root, CSWH_PERSON_KEY_SALT=SALT)
        result = run_cswh("run", "--engine", engine, *run_args, env=env, timeout=3000)
        assert result.returncode == 0, (
            f"cswh run --engine {engine} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
        roots[engine] = root
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    differences = compare_serving(
        roots["duckdb"] / "warehouse" / "serving.duckdb",
        roots["spark"] / "warehouse" / "serving.duckdb",
        manifest,
    )
    return EngineBuilds(roots, differences)


def spark_portability_gate(root: Path) -> subprocess.CompletedProcess:
    """bench/portability.py --check on the project compiled for Spark (against the Spark
    build's own metastore, so macros that look up relations find them)."""
    env = cswh_env(root, CSWH_PERSON_KEY_SALT=SALT)
    return subprocess.run(
        [sys.executable, "bench/portability.py", "--check", "--target", "spark"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
