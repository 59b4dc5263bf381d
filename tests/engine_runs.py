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
from dagster_project.quality.suites import MART_TABLES
from tests.engine_equality import Difference, compare_serving
from tests.support import cswh_env, run_cswh

# Both builds key people with the same salt, as one deployment switching engines would.
SALT = "engine-equality-test-salt"
ENGINES = ("duckdb", "spark")
# The marts the GX suites check (the contract's, section 3, 11, 12, and the analysts' facts) get
# a test each; every other table of `marts` is compared too, in one further test.
CHECKED_MARTS = MART_TABLES


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
    # dbt's compile runs the on-run-start hook, which registers the lake's folders: the run's
    # own lake (beside its landing zone), not the scratch one the gate would make.
    env = cswh_env(root, CSWH_PERSON_KEY_SALT=SALT, CSWH_LAKE=str(root / "lake"))
    return subprocess.run(
        [sys.executable, "bench/portability.py", "--check", "--target", "spark"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def assert_mart_equal(builds: EngineBuilds, mart: str) -> None:
    assert mart in builds.differences, f"marts.{mart} is in neither serving copy"
    assert builds.differences[mart] is None, str(builds.differences[mart])


def assert_other_marts_equal(builds: EngineBuilds) -> None:
    others = {t: d for t, d in builds.differences.items() if t not in CHECKED_MARTS}
    assert others, "no other marts table compared"
    assert [str(d) for d in others.values() if d is not None] == []
