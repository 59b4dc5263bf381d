"""The analysts' own client opens the serving copy: the released DuckDB 1.x CLI (PyPI
`duckdb-cli`, a test dependency) reads every table of a published copy, with the same types
and the same mart results as the DuckDB 2.0 the pipeline writes with."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish import SERVING_STORAGE_VERSION, publish, storage_version
from tests.support import published_tiny

MART_QUERY = "select health_tier, count(*) from marts.fct_account_health group by 1 order by 1"
COLUMNS_QUERY = (
    "select table_schema, table_name, column_name, data_type from information_schema.columns "
    "where table_catalog = current_database() order by 1, 2, 3"
)


def _cli() -> str:
    """The `duckdb` command that `pip install duckdb-cli` puts beside the venv's python."""
    found = shutil.which("duckdb", path=str(Path(sys.executable).parent))
    assert found, "the duckdb CLI is missing: install the test extra (pip install -e '.[test]')"
    return found


def _cli_csv(db: Path | None, sql: str) -> list[list[str]]:
    """Run ``sql`` in the 1.x CLI on ``db`` (read-only; None: in memory), as CSV rows."""
    result = subprocess.run(
        [_cli(), "-csv", "-noheader", *(["-readonly", str(db)] if db else [])],
        input=sql,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and not result.stderr, result.stderr or result.stdout
    return list(csv.reader(io.StringIO(result.stdout)))


def _py(db: Path, sql: str) -> list[list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [[str(v) for v in row] for row in con.execute(sql).fetchall()]
    finally:
        con.close()


def test_the_cli_is_a_released_1x_client() -> None:
    (version,) = _cli_csv(None, "select version();")[0]
    assert version.startswith("v1."), version  # the point is an older client than ours


@pytest.mark.slow
def test_the_1x_cli_reads_every_table_of_a_published_copy(
    tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path
) -> None:
    serving = published_tiny(tmp_path_factory, tiny_zone).serving
    assert _cli_csv(serving, MART_QUERY + ";") == _py(serving, MART_QUERY)
    # Same tables, columns and types as DuckDB 2.0 sees ...
    columns = _py(serving, COLUMNS_QUERY)
    assert _cli_csv(serving, COLUMNS_QUERY + ";") == columns
    # ... and every value of every table decodes (a full scan, output discarded).
    tables = sorted({(schema, table) for schema, table, _, _ in columns})
    scans = "".join(f'select * from "{s}"."{t}";\n' for s, t in tables)
    assert _cli_csv(serving, f".mode trash\n{scans}.mode csv\nselect 'scanned';") == [["scanned"]]


def _warehouse(path: Path, score: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.fct_account_health as "
        f"select 'A1' as account_id, {score} as health_score, 'healthy' as health_tier"
    )
    con.close()


def test_a_serving_copy_in_2_0_format_is_rewritten_whole_once(tmp_path: Path) -> None:
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    _warehouse(wh, 70)
    # What an older cswh published: DuckDB 2.0's default format, which 1.x clients refuse.
    old = duckdb.connect(str(serving))
    old.execute("create schema marts")
    old.execute("create table marts.fct_account_health as select 'A0' as account_id")
    old.close()
    refused = subprocess.run(
        [_cli(), "-readonly", str(serving), "-c", "select 1"], capture_output=True, text=True
    )
    assert refused.returncode != 0 and "version number" in refused.stderr

    first = publish(wh, serving)
    assert first.tables_rewritten == first.tables  # nothing kept from the unreadable file
    assert _cli_csv(serving, MART_QUERY + ";") == [["healthy", "1"]]

    # Later publications start from a byte copy: the format stays, unchanged tables stay.
    _warehouse(wh, 70)
    second = publish(wh, serving)
    assert second.tables_rewritten == 0
    con = duckdb.connect()
    try:
        assert storage_version(con, serving) == SERVING_STORAGE_VERSION
    finally:
        con.close()
    _warehouse(wh, 42)
    publish(wh, serving)
    assert _cli_csv(serving, "select health_score from marts.fct_account_health;") == [["42"]]
