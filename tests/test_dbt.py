"""The dbt project on its own: it parses, and every dbt unit test (scoring, CTA rules,
KPIs, staging logic on hand-made inputs) passes. Unit tests run here, not in production
builds."""

from __future__ import annotations

import csv
import json
import shutil
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


def _dbt(
    *args: str, env: dict[str, str], target: Path, project: Path = DBT_PROJECT_DIR
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT, *args, "--profiles-dir", str(project), "--target-path", str(target)],
        cwd=project,
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


def test_a_seed_metric_without_a_family_column_stops_the_build_naming_it(tmp_path: Path) -> None:
    """Seed health_metrics holds no list of metric names to keep in step: a metric row whose
    value no family model computes stops the build with a message that names it."""
    project = tmp_path / "dbt"
    shutil.copytree(
        DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", ".user.yml")
    )
    seed = project / "seeds" / "health_metrics.csv"
    # the row is written against the seed's own header, whatever columns it has today
    with seed.open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    row = {"dimension": "engagement", "metric": "made_up_metric", "weight": "1", "red_at": "0"}
    row |= {"green_at": "1", "enabled": "true", "description": "No model computes it."}
    with seed.open("a", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerow([row.get(column, "") for column in header])
    env = cswh_env(tmp_path)
    warehouse = Path(env["CSWH_WAREHOUSE"])
    warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(warehouse))
    ensure_schemas(con)
    con.close()
    run = {"env": env, "target": tmp_path / "target", "project": project}
    # the seeds for real, the family models as empty tables (their columns are what counts)
    assert _dbt("seed", **run).returncode == 0
    families = "+int_health_metric_values,resource_type:model"
    assert _dbt("run", "--empty", "--select", families, **run).returncode == 0
    built = _dbt("compile", "--select", "int_health_metric_values", **run)
    assert built.returncode != 0
    assert "health metric 'made_up_metric' (seed health_metrics) must be a column" in built.stdout
