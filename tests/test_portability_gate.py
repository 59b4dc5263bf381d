"""The portability gate (bench/portability.py --check) fails on DuckDB-only SQL and passes
portable SQL: on a manifest written here, so each rule is seen to bite. The gate on the real
project runs in `make lint` (DuckDB compile) and tests/test_engines_scenario.py (Spark compile)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project.config import PROJECT_ROOT

PORTABLE = "select cast(a as string) as a, count(*) as n from t group by a"


def _gate(tmp_path: Path, sql: str, raw: str | None = None, target: str = "default"):
    node = {
        "resource_type": "model",
        "package_name": "cswh",
        "name": "m",
        "original_file_path": "models/m.sql",
        "compiled_code": sql,
        "raw_code": raw if raw is not None else sql,
    }
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.cswh.m": node}}))
    return subprocess.run(
        [sys.executable, "bench/portability.py", "--check", "--manifest", str(manifest)]
        + ["--target", target],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("target", ["default", "spark"])
def test_portable_sql_passes(tmp_path: Path, target: str) -> None:
    done = _gate(tmp_path, PORTABLE, target=target)
    assert done.returncode == 0, done.stdout
    assert "none blocks Spark" in done.stdout


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("select a::int as a from t", "`::` cast"),
        ("select cast(a as varchar) as a from t", "varchar / text type"),
        ("select string_agg(a, ',' order by a) as s from t", "agg(x, sep order by y)"),
        ("select a from t qualify row_number() over (order by a) = 1", "QUALIFY"),
        ("select [1, 2] as l", "[a, b] list literal"),
        ("select date_diff('day', a, b) as d from t", "date_diff('part', a, b)"),
    ],
)
def test_duckdb_only_sql_in_a_models_own_code_fails(
    tmp_path: Path, sql: str, construct: str
) -> None:
    done = _gate(tmp_path, sql)
    assert done.returncode == 1, done.stdout
    assert f"m: {construct}" in done.stdout


def test_on_duckdb_a_macro_may_write_duckdb_sql_for_duckdb(tmp_path: Path) -> None:
    """The DuckDB compile is judged on the model's own code: what a dispatched macro renders
    for DuckDB (here a `::` cast) is its DuckDB twin's business; the Spark compile is judged
    whole."""
    compiled = "select date_diff('day', a::timestamp, b::timestamp) as d from t"
    raw = "select {{ dbt.datediff('a', 'b', 'day') }} as d from t"
    assert _gate(tmp_path, compiled, raw).returncode == 0
    assert _gate(tmp_path, compiled, raw, target="spark").returncode == 1


def test_sql_sqlglot_cannot_parse_fails(tmp_path: Path) -> None:
    done = _gate(tmp_path, "select from where")
    assert done.returncode == 1
    assert "cannot parse it as duckdb SQL" in done.stdout
