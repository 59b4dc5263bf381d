"""DDL of the raw layer; the ``dq`` tables it writes beside it are dagster_project/dq_schema.py's.

``ensure_schemas`` is idempotent and cheap: it reads the catalog and only creates what is
missing (tables, or columns added to the contract later), so every load can call it.
"""

from __future__ import annotations

import duckdb

from dagster_project.dq_schema import Table, ensure_dq, ensure_table, existing_columns
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

# Contract type -> DuckDB column type of the raw layer (timestamps naive, Japan time).
RAW_TYPES: dict[str, str] = {
    VARCHAR: "VARCHAR",
    INTEGER: "BIGINT",
    DATE: "DATE",
    TIMESTAMP: "TIMESTAMP",
    BOOLEAN: "BOOLEAN",
}


def raw_columns(entity: Entity) -> dict[str, str]:
    """Column name -> DuckDB type of ``raw.<source>__<entity>``."""
    cols = {c.name: RAW_TYPES[c.type] for c in entity.all_columns}
    cols.update(LOAD_COLUMNS)
    return cols


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw`` and every raw table if they do not exist (and add contract
    columns they lack), and the ``dq`` schema (``dq_schema.ensure_dq``)."""
    existing = existing_columns(con, [RAW_SCHEMA])
    if not existing:
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for entity in ENTITIES:
        comments = {**LOAD_COLUMN_NOTES, **{c.name: c.note for c in entity.all_columns}}
        types = raw_columns(entity)
        table = Table(
            entity.table,
            f"{entity.description} Landing zone: {entity.glob}. Append-only: every "
            f"delivery's valid rows (key: {', '.join(entity.key)}; staging deduplicates).",
            {name: (types[name], comments[name]) for name in types},
        )
        ensure_table(con, existing, RAW_SCHEMA, table)
    ensure_dq(con)
