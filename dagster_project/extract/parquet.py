"""Parquet entities: per-file schema check, then batched ``read_parquet`` loads.

Each file's schema and row count come from its footer (cheap). Unreadable files and files
that lack a required column are rejected alone; the others are grouped into batches of
consecutive files (lexical order) with the same schema, so ``union_by_name`` never has to
reconcile types (a naive and a tz-aware timestamp column must not be mixed). Each batch is
validated in SQL and loaded with one INSERT ... SELECT in one transaction together with its
manifest and quarantine rows. A batch that fails is retried file by file, so one corrupt
data page only rejects its own file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.sources import Entity

from .manifest import utcnow, write_manifest
from .results import FileResult
from .validate import STRING, ColumnInput, Relation, lit, load_relation, q

BATCH_ROWS = 8_000_000  # rows per batch (about 40 daily files of a 10,000-account zone)
BATCH_FILES = 64
GLOB_CHARACTERS = "*?["  # read_parquet expands these even in a list of paths


@dataclass
class ParquetFile:
    rel: str  # relative to the landing zone
    path: Path  # absolute
    file_hash: str
    file_bytes: int
    num_rows: int = 0
    columns: tuple[tuple[str, str], ...] = ()  # (name, DuckDB type) as read
    extra: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def inspect(con: duckdb.DuckDBPyConnection, entity: Entity, pf: ParquetFile) -> str | None:
    """Fill in the file's schema and row count; return why it is rejected, or None."""
    if any(ch in pf.rel for ch in GLOB_CHARACTERS):
        return (
            f"{pf.rel} refused: its name holds a glob character ({GLOB_CHARACTERS}) that "
            "DuckDB's Parquet reader would expand to other files; rename it"
        )
    try:
        cols = con.execute("describe select * from read_parquet(?)", [str(pf.path)]).fetchall()
        pf.num_rows = con.execute(
            "select num_rows from parquet_file_metadata(?)", [str(pf.path)]
        ).fetchone()[0]
    except duckdb.Error as e:
        return f"{pf.rel} cannot be read as Parquet: {_first_line(e)}"
    pf.columns = tuple((name, type_) for name, type_, *_ in cols)
    have = {name.lower() for name, _ in pf.columns}
    required = [c.name for c in entity.columns if not c.nullable and c.name.lower() not in have]
    if required:
        return (
            f"{pf.rel} lacks required column(s) {', '.join(required)} "
            f"(columns: {', '.join(n for n, _ in pf.columns)})"
        )
    known = {c.name.lower() for c in entity.columns}
    pf.extra = tuple(n for n, _ in pf.columns if n.lower() not in known)
    pf.missing = tuple(c.name for c in entity.columns if c.name.lower() not in have)
    return None


def batches(files: list[ParquetFile]) -> list[list[ParquetFile]]:
    """Consecutive files with the same schema, bounded in rows and files."""
    out: list[list[ParquetFile]] = []
    rows = 0
    for pf in files:
        cur = out[-1] if out else None
        if (
            cur is None
            or cur[0].columns != pf.columns
            or len(cur) >= BATCH_FILES
            or rows + pf.num_rows > BATCH_ROWS
        ):
            out.append([pf])
            rows = pf.num_rows
        else:
            cur.append(pf)
            rows += pf.num_rows
    return out


def load_batch(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    batch: list[ParquetFile],
    *,
    data_dir: Path,
    run_id: str,
) -> list[FileResult]:
    """Load one batch in one transaction; raises (after rollback) if anything fails."""
    columns = batch[0].columns
    by_lower = {name.lower(): (name, type_) for name, type_ in columns}
    inputs = []
    for c in entity.columns:
        name, type_ = by_lower.get(c.name.lower(), (None, None))
        if name is None:
            inputs.append(ColumnInput(c, "NULL", STRING))
        else:
            inputs.append(ColumnInput(c, q(name), type_))
    # Files are read through their resolved paths inside the zone (zone.py) and named in
    # the manifest and quarantine by their names in the zone; folder names are never data
    # (hive_partitioning off: a folder ``account_id=X`` must not become a column).
    paths = "[" + ", ".join(lit(str(pf.path)) for pf in batch) + "]"
    file_sql = (
        "case filename "
        + " ".join(f"when {lit(str(pf.path))} then {lit(pf.rel)}" for pf in batch)
        + " end"
    )
    extra = batch[0].extra
    extra_sql = "NULL"
    if extra:
        all_null = " and ".join(f"{q(n)} is null" for n in extra)
        obj = ", ".join(f"{lit(n)}, {q(n)}" for n in extra)
        extra_sql = f"case when {all_null} then null else cast(json_object({obj}) as varchar) end"
    raw = "cast(json_object(" + ", ".join(f"{lit(n)}, {q(n)}" for n, _ in columns) + ") as varchar)"
    rel = Relation(
        sql=(
            f"read_parquet({paths}, filename = true, file_row_number = true, "
            "union_by_name = true, hive_partitioning = false)"
        ),
        file=file_sql,
        row_number="file_row_number + 1",
        raw_record=raw,
        extra=extra_sql,
    )
    loaded_at = utcnow()
    expected = sum(pf.num_rows for pf in batch)
    con.begin()
    try:
        loaded, bad = load_relation(
            con, entity, rel, inputs, run_id=run_id, loaded_at=loaded_at, expected_rows=expected
        )
        unknown = set(bad) - {pf.rel for pf in batch}
        if unknown:
            raise RuntimeError(f"quarantined rows of unexpected files: {sorted(unknown)}")
        results = [
            FileResult(
                run_id=run_id,
                source=entity.source,
                entity=entity.name,
                file=pf.rel,
                file_hash=pf.file_hash,
                status="loaded",
                rows_read=pf.num_rows,
                rows_loaded=pf.num_rows - bad.get(pf.rel, 0),
                rows_quarantined=bad.get(pf.rel, 0),
                loaded_at=loaded_at,
                file_bytes=pf.file_bytes,
                extra_columns=pf.extra,
                missing_columns=pf.missing,
            )
            for pf in batch
        ]
        if sum(r.rows_loaded for r in results) != loaded:
            raise RuntimeError(f"{loaded} rows loaded, expected {expected - sum(bad.values())}")
        write_manifest(con, results)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return results


def load_files(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    files: list[ParquetFile],
    *,
    data_dir: Path,
    run_id: str,
    log,
) -> list[FileResult]:
    """Inspect, batch and load the given (new) files of one Parquet entity."""
    results: list[FileResult] = []
    good: list[ParquetFile] = []
    for pf in files:
        problem = inspect(con, entity, pf)
        if problem is None:
            good.append(pf)
            continue
        fr = FileResult(
            run_id=run_id,
            source=entity.source,
            entity=entity.name,
            file=pf.rel,
            file_hash=pf.file_hash,
            status="failed",
            error=problem,
            loaded_at=utcnow(),
            file_bytes=pf.file_bytes,
        )
        write_manifest(con, [fr])
        log(f"REJECTED {problem}")
        results.append(fr)

    todo = batches(good)
    for i, batch in enumerate(todo, start=1):
        started = time.perf_counter()
        try:
            done = load_batch(con, entity, batch, data_dir=data_dir, run_id=run_id)
        except duckdb.Error as e:
            if len(batch) > 1:
                log(
                    f"{entity.source}/{entity.name}: batch {i} of {len(batch)} files failed "
                    f"({_first_line(e)}); loading its files one by one"
                )
                done = []
                for pf in batch:
                    done += _load_single(con, entity, pf, data_dir=data_dir, run_id=run_id, log=log)
            else:
                done = _load_single(
                    con, entity, batch[0], data_dir=data_dir, run_id=run_id, log=log
                )
        results += done
        ok = [r for r in done if r.status == "loaded"]
        log(
            f"{entity.source}/{entity.name}: batch {i}/{len(todo)}: {len(ok)} files, "
            f"{_n(sum(r.rows_loaded for r in ok))} rows loaded, "
            f"{_n(sum(r.rows_quarantined for r in ok))} quarantined "
            f"({time.perf_counter() - started:.1f} s)"
        )
        for r in ok:
            if r.extra_columns:
                log(
                    f"{r.file}: schema drift: extra column(s) {', '.join(r.extra_columns)} "
                    "kept in _extra"
                )
    return results


def _load_single(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    pf: ParquetFile,
    *,
    data_dir: Path,
    run_id: str,
    log,
) -> list[FileResult]:
    try:
        return load_batch(con, entity, [pf], data_dir=data_dir, run_id=run_id)
    except duckdb.Error as e:
        transient = isinstance(e, duckdb.OutOfMemoryException | duckdb.InterruptException)
        fr = FileResult(
            run_id=run_id,
            source=entity.source,
            entity=entity.name,
            file=pf.rel,
            file_hash=pf.file_hash,
            status="failed",
            error=f"{pf.rel} cannot be loaded: {_first_line(e)}",
            loaded_at=utcnow(),
            file_bytes=pf.file_bytes,
            retryable=transient,
        )
        write_manifest(con, [fr])
        log(f"REJECTED {fr.error}")
        return [fr]


def _n(n: int) -> str:
    """12345678 -> '12.3M'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1_000:.1f}k"
    return str(n)
