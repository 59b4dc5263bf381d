"""The as-of date D (CONTRACT.md section 2): one rule, worked out here and nowhere else in Python.

D is ``CSWH_AS_OF`` (YYYY-MM-DD) when it is set, else the latest ``activity_date`` loaded into
``raw.usage__daily``; None while no usage has been loaded. Every step that needs D asks
``resolve_as_of``: the dbt asset, the Great Expectations and freshness checks, publish
(``dq.publish_log.as_of_date``) and the quality benchmark.

How it meets dbt: D goes to dbt as data, not as ``--vars`` (a changed var makes dbt re-parse
the whole project). Before ``dbt build`` the dbt asset (transform/assets.py,
``write_run_context``) writes the D resolved here into ``meta.run_context``, and the macro
``as_of_date()`` (dbt/macros/as_of_date.sql) reads it back: that macro is the only reader of D
on the dbt side. Its other branches apply only when dbt runs without Dagster and follow the
same rule: the var ``as_of_date`` plays ``CSWH_AS_OF`` (unit tests, ad-hoc runs), and with no
run context it takes the latest ``stg_usage__daily.activity_date`` (the same days as raw).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.config import duckdb_config

AS_OF_VAR = "CSWH_AS_OF"


def as_of_override() -> date | None:
    """D as set by hand (``CSWH_AS_OF`` / ``cswh run --as-of``), or None."""
    value = os.environ.get(AS_OF_VAR)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{AS_OF_VAR} is not a date (YYYY-MM-DD): {value!r}") from None


def latest_usage_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The latest usage activity_date loaded into the connection's database, or None."""
    (exists,) = con.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        "and table_schema = 'raw' and table_name = 'usage__daily'"
    ).fetchone()
    if not exists:
        return None
    return con.execute("select max(activity_date) from raw.usage__daily").fetchone()[0]


def resolve_as_of(warehouse: Path | str) -> date | None:
    """D for a run on ``warehouse``: ``CSWH_AS_OF``, else the latest usage day loaded.
    Opens the warehouse read-only and briefly; the caller must not hold it open for writing."""
    override = as_of_override()
    if override is not None:
        return override
    if not Path(warehouse).exists():
        return None
    con = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config())
    try:
        return latest_usage_date(con)
    finally:
        con.close()


def last_run_as_of(warehouse: Path | str) -> date | None:
    """D of the latest dbt build on ``warehouse`` (``meta.run_context``), or None."""
    if not Path(warehouse).exists():
        return None
    con = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config())
    try:
        (exists,) = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'meta' "
            "and table_name = 'run_context'"
        ).fetchone()
        if not exists:
            return None
        row = con.execute("select max(as_of_date) from meta.run_context").fetchone()
        return row[0] if row else None
    finally:
        con.close()
