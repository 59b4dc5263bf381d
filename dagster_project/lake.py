"""The lake: the raw layer as Parquet files that both engines read (issue 18).

Every table dbt declares as a source (the raw tables of ``sources.py`` and the dq tables of
``dq_schema.py``, through ``transform/dbt_sources.py``, the one home of that list) is a folder
``$CSWH_LAKE/<source schema>/<table>/`` of ``*.parquet`` files, all directly inside it:

- a **raw** table holds one file per *batch*: the rows one run loaded into it. Its name comes
  from what the batch loaded (the manifest's files and hashes of that run and entity), not from
  the run id or the clock, so two clean runs of the same zone name their files alike. A table
  that never loaded a row holds one empty file (``empty.parquet``) with its columns, so a reader
  (Spark's external table) always finds a schema; it goes when the first batch arrives.
- a **dq** table is rewritten whole every run as ``<table>.parquet``.

``write_lake`` makes the lake equal the warehouse's raw and dq tables: it writes the batches the
lake lacks (a run that loaded nothing writes nothing), removes files no batch of raw has (e.g. a
warehouse rebuilt from another zone) and, with ``rebuild`` (``--full-refresh``) or when the lake
folder is missing, writes every file again. So the lake holds what raw holds, also after a run
that died between its load and its lake write. Extraction itself (validation, quarantine, the
manifest) is untouched: the lake is written from raw, before dbt builds, on every engine.

Files are written under a hidden temporary name (``.<name>.tmp``: readers and Spark skip names
starting with a dot) and renamed into place. Rows are sorted on every column and written with
fixed Parquet settings, so the same rows give the same bytes. Types are raw's, except JSON
(``_extra``), written as plain text (VARCHAR): Spark reads no JSON logical type. Timestamps stay
naive TIMESTAMP (Parquet ``isAdjustedToUTC=false``; Spark reads ``timestamp_ntz``).

Cost, measured on the 1,000-account zone (``cswh generate --accounts 1000 --seed 42``: 626 files,
9.5 million rows) on a 2-core machine: the first ``cswh run`` (97 s in all) wrote the lake in
6.6 s, 21 files, 43.3 MB of Parquet (39 MB of it usage__daily); the second run, with no new file,
wrote only the 4 dq files (0.03 MB) in 0.1 s.

How DuckDB reads raw: as today, its own ``raw`` tables (extraction writes them; the lake is
written from them). Views over the lake (``read_parquet('<lake>/raw/<t>/*.parquet',
union_by_name = true)`` in place of each raw table, on a scratch copy of that warehouse) were
measured with ``dbt build --select staging`` (68 nodes; ``/work/heavy --exclusive``, two rounds):
full refresh 6.34 / 6.11 s on tables, 5.43 / 5.54 s on views; the daily (incremental, nothing
new) build 2.72 / 2.88 s on tables, 2.97 / 2.56 s on views. Views are no slower (0.7 s faster
on a full staging build, the same on a daily one), but DuckDB keeps its tables: extraction needs
them anyway (it checks keys and duplicates against raw), so views would be a second schema and
second source definitions for under 1 % of a 97 s run, and a DuckDB build would then break when
the lake is moved or deleted. Worth measuring again at 10,000 accounts.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.sql_text import ident, literal

EMPTY_FILE = "empty.parquet"
# Fixed writer settings: the same rows give the same bytes.
PARQUET_OPTIONS = "format parquet, compression zstd, row_group_size 122880"
RUN_CONTEXT = ("meta", "run_context")


@dataclass(frozen=True)
class LakeTable:
    schema: str
    name: str  # the table's identifier
    batches: bool  # raw: one file per batch of rows loaded; dq: one file, rewritten whole
    source: str = ""  # raw: the source system and entity (dq.load_manifest's names)
    entity: str = ""


@dataclass
class LakeWrite:
    """What one ``write_lake`` did."""

    rebuilt: bool = False
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    bytes_written: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        how = "rebuilt" if self.rebuilt else "updated"
        return (
            f"lake {how}: {len(self.written)} file(s) written "
            f"({self.bytes_written / 1e6:.1f} MB), {len(self.removed)} removed, "
            f"{self.seconds:.1f} s"
        )


def lake_tables() -> list[LakeTable]:
    """Every table dbt declares as a source, from the definitions dbt's yml are written from."""
    from dagster_project.sources import SOURCES
    from dagster_project.transform.dbt_sources import definition, dq_definition

    tables = []
    for src in [definition(s) for s in SOURCES]:
        tables += [
            LakeTable(src["schema"], t["identifier"], True, src["name"], t["name"])
            for t in src["tables"]
        ]
    dq = dq_definition()
    tables += [LakeTable(dq["schema"], t.get("identifier", t["name"]), False) for t in dq["tables"]]
    return tables


def folder(lake: Path, schema: str, name: str) -> Path:
    return Path(lake) / schema / name


def write_lake(con: duckdb.DuckDBPyConnection, lake: Path, rebuild: bool = False) -> LakeWrite:
    """Make ``lake`` hold what the warehouse's raw and dq tables hold (module docstring)."""
    started = time.perf_counter()
    lake = Path(lake)
    result = LakeWrite(rebuilt=rebuild or not lake.is_dir())
    present = {
        (s, t)
        for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
    }
    for table in lake_tables():
        if (table.schema, table.name) not in present:
            continue  # nothing extracted yet (ensure_schemas creates them all on a first load)
        where = folder(lake, table.schema, table.name)
        where.mkdir(parents=True, exist_ok=True)
        for leftover in where.glob(".*.tmp"):  # a write killed before its rename
            leftover.unlink()
        wanted = _batches(con, table) if table.batches else {f"{table.name}.parquet": None}
        have = {p.name for p in where.glob("*.parquet")}
        for name in sorted(have - set(wanted)):
            (where / name).unlink()
            result.removed.append(where / name)
        for name, run_id in sorted(wanted.items()):
            if name in have and table.batches and not result.rebuilt:
                continue  # a batch never changes once written
            path = where / name
            _copy(con, table, run_id, path)
            result.written.append(path)
            result.bytes_written += path.stat().st_size
    result.seconds = time.perf_counter() - started
    return result


def _batches(con: duckdb.DuckDBPyConnection, table: LakeTable) -> dict[str, str | None]:
    """File name -> the run id whose rows it holds (None: the empty file of an empty table).

    A batch is named after the files the run loaded into this table (path and sha256, from
    dq.load_manifest; the dashboard's store is one such file per run), which do not depend on
    the run id or the clock; a run with rows but no manifest row falls back to its run id."""
    rows = con.execute(
        f"""
        with batches as (
            select _run_id as run_id from {ident(table.schema, table.name)} group by 1
        ),
        files as (
            select run_id, string_agg(file || chr(9) || coalesce(file_hash, ''), chr(10)
                order by file, file_hash) as loaded
            from dq.load_manifest
            where source = ? and entity = ? and status = 'loaded'
            group by run_id
        )
        select batches.run_id, sha256(coalesce(files.loaded, 'run ' || batches.run_id))
        from batches left join files on files.run_id = batches.run_id
        """,
        [table.source, table.entity],
    ).fetchall()
    if not rows:
        return {EMPTY_FILE: None}
    return {f"{digest[:24]}.parquet": run_id for run_id, digest in rows}


def _copy(con: duckdb.DuckDBPyConnection, table: LakeTable, run_id: str | None, path: Path) -> None:
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [table.schema, table.name],
    ).fetchall()
    select = ", ".join(
        f"cast({ident(c)} as varchar) as {ident(c)}" if t == "JSON" else ident(c)
        for c, t in columns
    )
    order = ", ".join(ident(c) for c, _ in _sort_first(columns))
    if not table.batches:
        where = ""
    elif run_id is None:
        where = " where false"
    else:
        where = f" where _run_id = {literal(run_id)}"
    tmp = path.with_name(f".{path.name}.tmp")
    con.execute(
        f"copy (select {select} from {ident(table.schema, table.name)}{where} order by {order}) "
        f"to {literal(str(tmp))} ({PARQUET_OPTIONS})"
    )
    os.replace(tmp, path)


def _sort_first(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Sort keys: where a row came from first (cheap, nearly unique), then every column."""
    first = [c for c in columns if c[0] in ("_source_file", "_row_number")]
    return first + [c for c in columns if c not in first]


def write_run_context(lake: Path, run_id: str, as_of: date | None, full_refresh: bool) -> Path:
    """``$CSWH_LAKE/meta/run_context/run_context.parquet``: the one row the DuckDB build finds
    in ``meta.run_context`` (transform/assets.py, RUN_CONTEXT_COLUMNS), for a Spark build."""
    from dagster_project.transform.assets import RUN_CONTEXT_COLUMNS

    where = folder(lake, *RUN_CONTEXT)
    where.mkdir(parents=True, exist_ok=True)
    path = where / "run_context.parquet"
    tmp = path.with_name(f".{path.name}.tmp")
    values = {"as_of_date": as_of, "run_id": run_id, "full_refresh": full_refresh}
    select = ", ".join(f"cast(? as {t}) as {ident(c)}" for c, t in RUN_CONTEXT_COLUMNS.items())
    con = duckdb.connect()
    try:
        con.execute(
            f"copy (select {select}) to {literal(str(tmp))} ({PARQUET_OPTIONS})",
            [values[c] for c in RUN_CONTEXT_COLUMNS],
        )
    finally:
        con.close()
    os.replace(tmp, path)
    return path
