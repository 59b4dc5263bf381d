"""File and folder names are data, not SQL: a warehouse and a serving copy named with a
hyphen, a space and Japanese characters, in a folder with an apostrophe, run and publish.

DuckDB names a database after its file (`cs-倉庫 warehouse`), so every statement that names
the catalog, and every path put into SQL or a connection URL, must be quoted."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from dagster_project.publish import publish
from dagster_project.quality.runner import run_suites
from dagster_project.quality.suites import all_suites
from tests.crash_support import query, serving_state
from tests.quality_support import build_warehouse
from tests.support import cswh_env, run_cswh

WAREHOUSE = "cs-倉庫 warehouse.duckdb"
SERVING = "cs-倉庫 serving.duckdb"
FOLDER = "it's 100% ダッシュ-board"  # apostrophe, percent, Japanese, hyphen, space


def test_publish_copies_to_an_odd_path(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    warehouse = build_warehouse(folder / WAREHOUSE)
    serving = folder / "cs-倉庫 serving [1].duckdb"  # [1]: glob syntax in the name too
    leftover = folder / f".{serving.name}.999999.tmp"  # of a publish killed mid-copy
    leftover.write_bytes(b"half a file")

    result = publish(warehouse, serving, run_id="run-1", as_of="2026-10-31")

    assert result.tables >= 2
    assert query(serving, "select count(*) from marts.dim_accounts")[0][0] == 3
    assert query(serving, "select run_id from dq.publish_log") == [("run-1",)]
    assert not leftover.exists()


def test_validation_reads_a_warehouse_whose_path_has_url_syntax(tmp_path: Path) -> None:
    # "%20" and "#" mean something in a URL; GX connects to DuckDB through one.
    warehouse = build_warehouse(tmp_path / "odd %20 #1" / "wh 100%.duckdb")
    outcomes = run_suites(warehouse, all_suites(), "run-1", write=False)
    results = [r for o in outcomes if not o.skipped for r in o.results]
    assert len(results) > 50
    assert [r.observed_value for r in results if r.observed_value.startswith('{"error"')] == []


@pytest.mark.slow
def test_run_publishes_with_odd_file_and_folder_names(tiny_zone: Path, tmp_path: Path) -> None:
    root = tmp_path / FOLDER
    shutil.copytree(tiny_zone, root / "raw")
    warehouse = root / "warehouse" / WAREHOUSE
    serving = root / "serving" / SERVING
    env = cswh_env(root, CSWH_WAREHOUSE=str(warehouse), CSWH_SERVING=str(serving))

    result = run_cswh("run", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert f"serving copy published: {serving}" in result.stdout
    assert "data quality report not refreshed" not in output

    state = serving_state(serving)
    assert state["accounts"] == 40
    assert len(state["published_runs"]) == 1
    # The on-run-start hook made meta.run_context in the odd-named catalog, and dbt read D.
    (as_of,) = query(warehouse, "select max(as_of_date) from meta.run_context")[0]
    assert as_of == date(2026, 10, 31)
    # GX reached the warehouse through its connection URL: expectations were evaluated.
    evaluated = query(
        serving,
        "select count(*) from dq.check_results where observed_value not like '{\"error\"%' "
        "and observed_value not like '{\"skipped\"%'",
    )[0][0]
    assert evaluated > 100
    assert (root / "docs" / "data_docs" / "index.html").is_file()

    # dbt docs reads the catalog of the odd-named database (its target dir: quality/docs.py).
    docs = run_cswh("docs", env=env)
    assert docs.returncode == 0, (docs.stdout + docs.stderr)[-4000:]
    catalog = json.loads((root / "docs" / ".dbt_target" / "catalog.json").read_text())
    databases = {n["metadata"]["database"] for n in catalog["nodes"].values()}
    assert databases == {"cs-倉庫 warehouse"}
    assert len(catalog["nodes"]) > 20
