"""DDL of the ``dq`` schema: the audit tables auditors read (CONTRACT.md section 8).

=====================  ==========================================  =========================
table                  one row per                                 written by
=====================  ==========================================  =========================
``dq.load_manifest``   landed file and load attempt                extraction
``dq.quarantine``      record that broke a rule of the contract    extraction
``dq.check_results``   expectation evaluated in a run              quality checks, freshness
``dq.publish_log``     publication of the serving copy             publish
=====================  ==========================================  =========================

``ensure_dq(con, catalog=None)`` is the one entry point: it creates the schema and whichever
tables are missing, with table and column comments, and adds the columns a table gained after
it was first created (``publish_log.seeds_hash``, later manifest columns) to older warehouses
and serving copies; their old rows read null. It is idempotent and cheap (one catalog read),
so every writer calls it before writing. ``dq.orphaned_cta_outcomes`` is a dbt model
(dbt/models/dq/), not DDL here. ``ensure_table`` is shared with the raw layer
(extract/schema.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb

from dagster_project.sql_text import ident, literal

DQ_SCHEMA = "dq"

STATUSES = ("loaded", "skipped_duplicate", "failed")

# Columns: name -> (DuckDB type, comment). Order is the tables' column order; append only.

# One row per landed file and load attempt (CONTRACT.md section 8), plus a few columns of our
# own after ``loaded_at``.
MANIFEST_COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("VARCHAR", "Dagster run that attempted the file"),
    "source": ("VARCHAR", "source system (landing-zone folder)"),
    "file": ("VARCHAR", "path relative to the landing zone"),
    "file_hash": ("VARCHAR", "sha256 of the file's bytes (hex)"),
    "status": ("VARCHAR", "loaded | skipped_duplicate | failed"),
    "rows_read": ("BIGINT", "records read (rows_loaded + rows_quarantined); 0 when not loaded"),
    "rows_loaded": ("BIGINT", "records written to the raw table"),
    "rows_quarantined": ("BIGINT", "records written to dq.quarantine"),
    "error": ("VARCHAR", "why the file was rejected (failed), else null"),
    "loaded_at": ("TIMESTAMP", "when the attempt was recorded (UTC)"),
    "entity": ("VARCHAR", "entity of the source, e.g. accounts (raw table <source>__<entity>)"),
    "file_bytes": ("BIGINT", "size of the file in bytes"),
    "extra_columns": (
        "VARCHAR",
        "schema drift: columns not in the contract, kept in _extra (comma separated)",
    ),
    "missing_columns": (
        "VARCHAR",
        "contract columns absent from the file: nullable ones load as null; "
        "required ones reject the file",
    ),
    "duplicate_of": ("VARCHAR", "skipped_duplicate: the loaded file with the same bytes"),
    "retryable": (
        "BOOLEAN",
        "failed for a reason outside the file (e.g. out of memory): tried again next run",
    ),
    "values_mapped": (
        "BIGINT",
        "values of loaded rows spelled as a synonym (seed code_synonyms, e.g. 緊急) and "
        "loaded as the contract's code (urgent); 0 or null when none",
    ),
}

QUARANTINE_COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("VARCHAR", "Dagster run that read the record"),
    "source": ("VARCHAR", "source system"),
    "file": ("VARCHAR", "path relative to the landing zone"),
    "row_number": (
        "BIGINT",
        "1-based record number in the file (CSV: header excluded; JSONL: line number; "
        "Parquet: row in the file)",
    ),
    "raw_record": (
        "VARCHAR",
        "the record as delivered (CSV text, JSONL line, Parquet row as JSON)",
    ),
    "reason": ("VARCHAR", "every broken rule, 'column: value rule', joined with '; '"),
    "entity": ("VARCHAR", "entity of the source, e.g. accounts"),
    "quarantined_at": ("TIMESTAMP", "when the record was quarantined (UTC)"),
}

CHECK_RESULTS_COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("VARCHAR", "Dagster run id (joins dq.load_manifest.run_id)"),
    "checked_at": ("TIMESTAMP", "when the suite ran (UTC)"),
    "suite": ("VARCHAR", "GX suite, e.g. marts.fct_account_health"),
    "table_name": ("VARCHAR", "schema.table validated"),
    "column_name": (
        "VARCHAR",
        "column(s) the expectation is about, comma separated; null = the table",
    ),
    "expectation": ("VARCHAR", "GX expectation type (SQL rules: unexpected_rows:<check>)"),
    "severity": ("VARCHAR", "critical | warning"),
    "success": ("BOOLEAN", "the expectation held"),
    "observed_value": ("VARCHAR", "what was seen (JSON text)"),
    "unexpected_count": ("BIGINT", "offending rows (null when not countable)"),
}

PUBLISH_LOG_COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("VARCHAR", "Dagster run that published"),
    "published_at": ("TIMESTAMP", "when the serving copy was swapped in (UTC)"),
    "as_of_date": ("DATE", "the as-of date D of the run"),
    # Added after the first publications: older logs gain the column, their rows null.
    "seeds_hash": ("VARCHAR", "md5 of the seed tables: the configuration version the run used"),
}


@dataclass(frozen=True)
class Table:
    name: str
    comment: str
    columns: Mapping[str, tuple[str, str]]
    constraints: str = ""  # appended to the column list of CREATE TABLE


DQ_TABLES = (
    Table(
        "load_manifest",
        "One row per landed file and load attempt. A (file, file_hash) recorded here is "
        "not attempted again (unless retryable).",
        MANIFEST_COLUMNS,
        constraints=f",\n  check (status in ({', '.join(literal(s) for s in STATUSES)}))",
    ),
    Table(
        "quarantine",
        "Records that broke a type or domain rule of the landing-zone contract.",
        QUARANTINE_COLUMNS,
    ),
    Table(
        "check_results",
        "Every expectation of every run (Great Expectations suites, freshness), with its "
        "severity; run_id joins dq.load_manifest.",
        CHECK_RESULTS_COLUMNS,
    ),
    Table(
        "publish_log",
        "One row per publication of the serving copy: which run, when, as of which date, "
        "with which seed version.",
        PUBLISH_LOG_COLUMNS,
    ),
)


def existing_columns(
    con: duckdb.DuckDBPyConnection, schemas: Iterable[str], catalog: str | None = None
) -> dict[tuple[str, str], set[str]]:
    """(schema, table) -> its column names, for the tables of ``schemas`` in ``catalog``
    (default: the connection's database)."""
    schemas = list(schemas)
    rows = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = coalesce(?, current_database()) "
        f"and table_schema in ({', '.join('?' for _ in schemas)})",
        [catalog, *schemas],
    ).fetchall()
    out: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        out.setdefault((schema, table), set()).add(column)
    return out


def ensure_table(
    con: duckdb.DuckDBPyConnection,
    existing: Mapping[tuple[str, str], set[str]],
    schema: str,
    table: Table,
    catalog: str | None = None,
) -> None:
    """Create ``schema.table`` with its comments if ``existing`` lacks it; else add the
    columns it lacks (a column added to the definition later: old rows read null)."""
    name = ident(*([catalog] if catalog else []), schema, table.name)
    have = existing.get((schema, table.name))
    if have is None:
        body = ",\n  ".join(f"{ident(c)} {t}" for c, (t, _) in table.columns.items())
        con.execute(f"create table if not exists {name} (\n  {body}{table.constraints}\n)")
        con.execute(f"comment on table {name} is {literal(table.comment)}")
        for column, (_, text) in table.columns.items():
            con.execute(f"comment on column {name}.{ident(column)} is {literal(text)}")
        return
    for column, (type_, _) in table.columns.items():
        if column not in have:
            con.execute(f"alter table {name} add column if not exists {ident(column)} {type_}")


def ensure_dq(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> None:
    """Schema ``dq`` and its four tables in ``catalog`` (default: the connection's
    database), created where missing and brought up to their current columns."""
    existing = existing_columns(con, [DQ_SCHEMA], catalog)
    if len({t for _, t in existing}) < len(DQ_TABLES):
        con.execute(
            f"create schema if not exists {ident(*([catalog] if catalog else []), DQ_SCHEMA)}"
        )
    for table in DQ_TABLES:
        ensure_table(con, existing, DQ_SCHEMA, table, catalog)
