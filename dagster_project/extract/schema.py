"""DDL of the raw layer and of the load bookkeeping (schema ``dq``).

``ensure_schemas`` is idempotent and cheap: it reads the catalog once and only creates
what is missing (tables, or columns added to the contract later), so every load can call it.
"""

from __future__ import annotations

import duckdb

from dagster_project.sources import (
    BOOLEAN,
    DATE,
    ENTITIES,
    INTEGER,
    LOAD_COLUMN_NOTES,
    LOAD_COLUMNS,
    TIMESTAMP,
    VARCHAR,
    Entity,
)

RAW_SCHEMA = "raw"
DQ_SCHEMA = "dq"

# Contract type -> DuckDB column type of the raw layer (timestamps naive, Japan time).
RAW_TYPES: dict[str, str] = {
    VARCHAR: "VARCHAR",
    INTEGER: "BIGINT",
    DATE: "DATE",
    TIMESTAMP: "TIMESTAMP",
    BOOLEAN: "BOOLEAN",
}

STATUSES = ("loaded", "skipped_duplicate", "failed")

# dq.load_manifest: one row per landed file and load attempt (CONTRACT.md section 8),
# plus a few columns of our own after ``loaded_at``.
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


def raw_columns(entity: Entity) -> dict[str, str]:
    """Column name -> DuckDB type of ``raw.<source>__<entity>``."""
    cols = {c.name: RAW_TYPES[c.type] for c in entity.all_columns}
    cols.update(LOAD_COLUMNS)
    return cols


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _existing(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], set[str]]:
    rows = con.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema in (?, ?)",
        [RAW_SCHEMA, DQ_SCHEMA],
    ).fetchall()
    out: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        out.setdefault((schema, table), set()).add(column)
    return out


def _ensure_table(
    con: duckdb.DuckDBPyConnection,
    existing: dict[tuple[str, str], set[str]],
    schema: str,
    table: str,
    columns: dict[str, str],
    comment: str,
    column_comments: dict[str, str],
    constraints: str = "",
) -> None:
    have = existing.get((schema, table))
    if have is None:
        body = ",\n  ".join(f'"{name}" {type_}' for name, type_ in columns.items())
        con.execute(f"create table if not exists {schema}.{table} (\n  {body}{constraints}\n)")
        con.execute(f"comment on table {schema}.{table} is {_lit(comment)}")
        for name, text in column_comments.items():
            con.execute(f'comment on column {schema}.{table}."{name}" is {_lit(text)}')
        return
    for name, type_ in columns.items():
        if name not in have:  # the contract grew a column: add it, old rows read null
            con.execute(f'alter table {schema}.{table} add column if not exists "{name}" {type_}')


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas ``raw`` and ``dq``, every raw table, ``dq.load_manifest`` and
    ``dq.quarantine`` if they do not exist (and add contract columns they lack)."""
    existing = _existing(con)
    schemas = {s for s, _ in existing}
    for schema in (RAW_SCHEMA, DQ_SCHEMA):
        if schema not in schemas:
            con.execute(f"create schema if not exists {schema}")
    for entity in ENTITIES:
        comments = {**LOAD_COLUMN_NOTES, **{c.name: c.note for c in entity.all_columns}}
        _ensure_table(
            con,
            existing,
            RAW_SCHEMA,
            entity.table,
            raw_columns(entity),
            f"{entity.description} Landing zone: {entity.glob}. Append-only: every "
            f"delivery's valid rows (key: {', '.join(entity.key)}; staging deduplicates).",
            comments,
        )
    statuses = ", ".join(_lit(s) for s in STATUSES)
    _ensure_table(
        con,
        existing,
        DQ_SCHEMA,
        "load_manifest",
        {k: t for k, (t, _) in MANIFEST_COLUMNS.items()},
        "One row per landed file and load attempt. A (file, file_hash) recorded here is "
        "not attempted again (unless retryable).",
        {k: c for k, (_, c) in MANIFEST_COLUMNS.items()},
        constraints=f",\n  check (status in ({statuses}))",
    )
    _ensure_table(
        con,
        existing,
        DQ_SCHEMA,
        "quarantine",
        {k: t for k, (t, _) in QUARANTINE_COLUMNS.items()},
        "Records that broke a type or domain rule of the landing-zone contract.",
        {k: c for k, (_, c) in QUARANTINE_COLUMNS.items()},
    )
