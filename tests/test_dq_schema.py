"""The dq schema's DDL (dagster_project/dq_schema.py): every writer gets the same tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.dq_schema import ensure_dq
from dagster_project.extract import ensure_schemas
from dagster_project.publish import record_publication
from dagster_project.quality.runner import ExpectationOutcome, write_check_results

# The columns and types auditors and the dashboard read (CONTRACT.md section 8): fixed.
EXPECTED = {
    "load_manifest": [
        ("run_id", "VARCHAR"),
        ("source", "VARCHAR"),
        ("file", "VARCHAR"),
        ("file_hash", "VARCHAR"),
        ("status", "VARCHAR"),
        ("rows_read", "BIGINT"),
        ("rows_loaded", "BIGINT"),
        ("rows_quarantined", "BIGINT"),
        ("error", "VARCHAR"),
        ("loaded_at", "TIMESTAMP"),
        ("entity", "VARCHAR"),
        ("file_bytes", "BIGINT"),
        ("extra_columns", "VARCHAR"),
        ("missing_columns", "VARCHAR"),
        ("duplicate_of", "VARCHAR"),
        ("retryable", "BOOLEAN"),
        ("values_mapped", "BIGINT"),
    ],
    "quarantine": [
        ("run_id", "VARCHAR"),
        ("source", "VARCHAR"),
        ("file", "VARCHAR"),
        ("row_number", "BIGINT"),
        ("raw_record", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("entity", "VARCHAR"),
        ("quarantined_at", "TIMESTAMP"),
    ],
    "check_results": [
        ("run_id", "VARCHAR"),
        ("checked_at", "TIMESTAMP"),
        ("suite", "VARCHAR"),
        ("table_name", "VARCHAR"),
        ("column_name", "VARCHAR"),
        ("expectation", "VARCHAR"),
        ("severity", "VARCHAR"),
        ("success", "BOOLEAN"),
        ("observed_value", "VARCHAR"),
        ("unexpected_count", "BIGINT"),
    ],
    "publish_log": [
        ("run_id", "VARCHAR"),
        ("published_at", "TIMESTAMP"),
        ("as_of_date", "DATE"),
        ("seeds_hash", "VARCHAR"),
    ],
}


def _dq_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, dtype in con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'dq' order by table_name, ordinal_position",
        [catalog],
    ).fetchall():
        out.setdefault(table, []).append((column, dtype))
    return out


def _extract(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        ensure_schemas(con)


def _check(path: Path) -> None:
    outcome = ExpectationOutcome(
        "run-1", datetime(2026, 10, 31), "raw.crm__accounts", "raw.crm__accounts", None,
        "expect_table_row_count_to_be_between", "critical", True, "3", None,
    )  # fmt: skip
    write_check_results(path, [outcome])


def _publish(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        record_publication(con, "run-1", "2026-10-31")


@pytest.mark.parametrize("writer", [_extract, _check, _publish])
def test_every_writer_creates_the_same_dq_schema(tmp_path: Path, writer) -> None:
    """Extraction, the quality writer and publish each start from an empty warehouse and
    each leaves the whole dq schema, column for column."""
    path = tmp_path / "wh.duckdb"
    writer(path)
    with duckdb.connect(str(path)) as con:
        assert _dq_tables(con, "wh") == EXPECTED
        ensure_dq(con)  # idempotent
        assert _dq_tables(con, "wh") == EXPECTED


def test_an_old_publish_log_gains_seeds_hash_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old serving's copy.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema dq")
    con.execute(
        "create table dq.publish_log (run_id varchar, published_at timestamp, as_of_date date)"
    )
    con.execute(
        "insert into dq.publish_log values ('run-0', timestamp '2026-10-01 00:00', date '2026-09-30')"
    )
    con.close()

    con = duckdb.connect(":memory:")
    con.execute("attach ? as old_copy", [str(path)])  # publish writes into an attached copy
    record_publication(con, "run-1", "2026-10-31", catalog="old_copy", seeds="abc")
    assert _dq_tables(con, "old_copy")["publish_log"] == EXPECTED["publish_log"]
    rows = con.execute(
        "select run_id, as_of_date::varchar, seeds_hash from old_copy.dq.publish_log order by 1"
    ).fetchall()
    assert rows == [("run-0", "2026-09-30", None), ("run-1", "2026-10-31", "abc")]


@pytest.mark.parametrize("catalog", ["serving_tmp", "cs-倉庫 it's"])
def test_ensure_dq_in_another_catalog(tmp_path: Path, catalog: str) -> None:
    con = duckdb.connect(":memory:")
    con.execute(f'attach ? as "{catalog}"', [str(tmp_path / "copy.duckdb")])
    ensure_dq(con, catalog)
    assert _dq_tables(con, catalog) == EXPECTED
    assert _dq_tables(con, "memory") == {}  # nothing in the connection's own database
    (comment,) = con.execute(
        "select comment from duckdb_tables() where database_name = ? and table_name = 'publish_log'",
        [catalog],
    ).fetchone()
    assert "publication" in comment
