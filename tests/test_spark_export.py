"""Export from Spark, import into DuckDB (issue 18): the project's own macro
(dbt/macros/spark_export.sql) and import (transform/spark_import.py), on real Spark local mode.

A scratch dbt project holds the macro, the project's profile and schema naming, a seed and
models whose Spark types differ from DuckDB's (decimal arithmetic, a partition column that Spark
moves last, a whole-number seed column, an empty table), plus a staging model named like the one
publish leaves out: the real PUBLISHED_SCHEMAS / NOT_PUBLISHED go in as the macro's arguments.

The whole pipeline on Spark, compared value by value with DuckDB's, is
tests/test_engines_scenario.py and tests/test_engines_generated.py."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import DBT_PROJECT_DIR, NO_TELEMETRY, executable
from dagster_project.transform.spark_import import export_args, import_published

# `make test` installs Spark (make spark-deps): a missing one fails here, it is not skipped.
pytestmark = pytest.mark.slow

PROJECT = {
    "dbt_project.yml": """\
name: cswh
version: "0.1.0"
config-version: 2
profile: cswh
models:
  cswh:
    marts: {+schema: marts, +materialized: table}
    staging: {+schema: staging, +materialized: view}
seeds:
  cswh: {+schema: seeds}
""",
    "seeds/segs.csv": "segment,min_employees,weight\ntech_touch,0,0.5\npooled,50,1.25\n",
    "models/marts/mart_x.sql": """\
select
    segment,
    cast(date_trunc('month', cast('2026-03-15' as date)) as date) as month,
    count(*) as n,
    sum(min_employees) as total,
    sum(weight * 2) as weighted,
    cast('2026-03-15 10:00:00' as timestamp) as at_ts,
    true as flag
from {{ ref('segs') }}
group by segment
""",
    "models/marts/mart_parted.sql": """\
{{ config(file_format='parquet', partition_by=['month']) }}
select segment, cast('2026-03-01' as date) as month, min_employees from {{ ref('segs') }}
""",
    "models/marts/mart_empty.sql": "select segment from {{ ref('segs') }} where 1 = 0\n",
    "models/staging/stg_usage__daily.sql": "select 1 as a\n",
    "models/marts/_m.yml": """\
version: 2
models:
  - name: mart_x
    description: "a test mart"
    columns:
      - {name: segment, description: "the segment"}
      - {name: n, description: "rows", data_type: integer}
  - name: mart_parted
    columns: [{name: segment}, {name: month}, {name: min_employees}]
""",
}


def _dbt(project: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [executable("dbt"), *args, "--target", "spark", "--profiles-dir", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_spark_export_and_duckdb_import_give_duckdbs_tables(tmp_path: Path) -> None:
    project = tmp_path / "dbt"
    for name, text in PROJECT.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    shutil.copy(DBT_PROJECT_DIR / "profiles.yml", project)
    (project / "macros").mkdir()
    for macro in ("spark_export.sql", "generate_schema_name.sql"):
        shutil.copy(DBT_PROJECT_DIR / "macros" / macro, project / "macros" / macro)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSWH_")} | NO_TELEMETRY
    env |= {
        "CSWH_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "CSWH_SPARK_DIR": str(tmp_path / "spark"),
    }
    export = tmp_path / "export"
    _dbt(project, env, "build")
    _dbt(project, env, "run-operation", "export_published", "--args", export_args(export))
    assert not (export / "staging" / "stg_usage__daily").exists()  # publish.NOT_PUBLISHED

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        con.execute("create schema marts")
        con.execute("create view marts.mart_x as select 1 as a")  # a DuckDB build's view gives way
        partial = shutil.copytree(export, tmp_path / "partial")
        shutil.rmtree(partial / "marts" / "mart_empty")
        with pytest.raises(FileNotFoundError, match="marts.mart_empty"):
            import_published(con, partial, project / "target" / "manifest.json")
        imported = import_published(con, export, project / "target" / "manifest.json")
        assert {(t.schema, t.name, t.rows) for t in imported} == {
            ("marts", "mart_x", 2),
            ("marts", "mart_parted", 2),
            ("marts", "mart_empty", 0),
            ("seeds", "segs", 2),
        }

        def described(table: str) -> list[tuple[str, str]]:
            return [r[:2] for r in con.execute(f"describe {table}").fetchall()]

        assert described("marts.mart_x") == [
            ("segment", "VARCHAR"),
            ("month", "DATE"),
            ("n", "INTEGER"),  # the yml's data_type
            ("total", "BIGINT"),
            ("weighted", "DOUBLE"),  # Spark: decimal
            ("at_ts", "TIMESTAMP"),
            ("flag", "BOOLEAN"),
        ]
        # Spark wrote the partition column last; the import puts it back
        assert [c for c, _ in described("marts.mart_parted")] == [
            "segment",
            "month",
            "min_employees",
        ]
        assert described("seeds.segs") == [
            ("segment", "VARCHAR"),
            ("min_employees", "INTEGER"),  # dbt-duckdb's seed type
            ("weight", "DOUBLE"),
        ]
        assert con.execute(
            "select segment, total, weighted from marts.mart_x order by segment"
        ).fetchall() == [("pooled", 50, 2.5), ("tech_touch", 0, 1.0)]
        assert con.execute(
            "select comment from duckdb_columns() where table_name = 'mart_x' "
            "and column_name = 'segment'"
        ).fetchall() == [("the segment",)]
    finally:
        con.close()
