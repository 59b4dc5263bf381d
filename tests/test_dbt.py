"""The dbt project on its own: it parses, and every dbt unit test (scoring, CTA rules,
KPIs, staging logic on hand-made inputs) passes. Unit tests run here, not in production
builds."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.extract import ensure_schemas
from tests.support import cswh_env

pytestmark = pytest.mark.slow
DBT = str(Path(sys.executable).parent / "dbt")


def _dbt(*args: str, env: dict[str, str], target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT, *args, "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_every_dbt_unit_test_passes(tmp_path: Path) -> None:
    env = cswh_env(tmp_path)
    warehouse = Path(env["CSWH_WAREHOUSE"])
    warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(warehouse))
    ensure_schemas(con)  # empty raw tables: unit tests need their inputs' columns
    con.close()
    target = tmp_path / "target"
    built = _dbt(
        "build",
        "--empty",
        "--exclude-resource-type",
        "unit_test",
        "--exclude-resource-type",
        "test",
        env=env,
        target=target,
    )
    assert built.returncode == 0, built.stdout[-3000:]
    tested = _dbt("test", "--select", "test_type:unit", env=env, target=target)
    results = json.loads((target / "run_results.json").read_text())["results"]
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    failed = [r["unique_id"] for r in unit_tests if r["status"] != "pass"]
    assert tested.returncode == 0 and not failed, f"{failed}\n{tested.stdout[-3000:]}"
    assert len(unit_tests) >= 40, "unit tests went missing"
