"""``load_source``: load every new landing-zone file of one source system into raw.

Per file, in lexical path order (CONTRACT.md reading 18):

1. sha256 of the bytes. A (path, hash) already in ``dq.load_manifest`` is not attempted
   again and not recorded again, whatever its status was: a second run over the same zone
   loads and records nothing. Failed files are therefore not retried while their bytes are
   unchanged (the same bytes would fail the same way); a new delivery, or ``retry_failed=True``,
   tries again. Only failures outside the file (``retryable``: out of memory, I/O error,
   an unexpected error) are attempted again on the next run.
2. Bytes identical to a file of the same entity that was already loaded, under another
   name: one manifest row ``skipped_duplicate`` naming that file (``duplicate_of``).
3. Otherwise parse, validate in SQL, and write the valid rows to ``raw.<source>__<entity>``,
   the others to ``dq.quarantine`` and the file's manifest row, all in one transaction: a
   process killed mid-load leaves nothing of the file behind, and the next run loads it.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import duckdb

from dagster_project.sources import SOURCES, Entity, entities_of

from . import parquet, zone
from .manifest import Prior, file_hash, prior_state, utcnow, write_manifest
from .results import FileResult, SourceResult
from .schema import RAW_SCHEMA, ensure_schemas
from .text import FileRejected, Parsed, read_bounded, read_csv, read_jsonl
from .validate import STRING, ColumnInput, Relation, lit, load_relation

_logger = logging.getLogger(__name__)
Log = Callable[[str], None]


def discover(data_dir: Path, entity: Entity) -> list[zone.ZoneFile]:
    """Files of an entity (and names refused for it), by name in the zone, in lexical order.

    Names starting with '.' (partial or hidden files) are ignored (zone.py)."""
    return zone.entity_files(zone.walk(data_dir, entity.source), entity)


def load_source(
    con: duckdb.DuckDBPyConnection,
    data_dir: Path,
    source: str,
    run_id: str,
    log: Log | None = None,
    *,
    retry_failed: bool = False,
) -> SourceResult:
    """Load every new file of every entity of ``source`` (see the module docstring)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    say: Log = log or _logger.info
    data_dir = Path(data_dir).resolve()
    ensure_schemas(con)
    prior = prior_state(con, source, retry_failed)
    result = SourceResult(source)
    started = time.perf_counter()
    matched: set[str] = set()
    listing = zone.walk(data_dir, source)

    for entity in entities_of(source):
        files = zone.entity_files(listing, entity)
        matched.update(f.rel for f in files)
        job = _EntityLoad(con, entity, data_dir, run_id, prior, say)
        result.files += job.run(files)
        result.unchanged += job.unchanged

    ignored = [f.rel for f in listing if f.rel not in matched]
    if ignored:
        shown = ", ".join(ignored[:10]) + (" ..." if len(ignored) > 10 else "")
        say(f"{source}: {len(ignored)} file(s) match no entity of the contract, ignored: {shown}")

    for entity in entities_of(source):
        result.table_rows[entity.table] = con.execute(
            f"select count(*) from {RAW_SCHEMA}.{entity.table}"
        ).fetchone()[0]
    say(
        f"{source}: {result.loaded} file(s) loaded, {result.skipped} skipped as duplicates, "
        f"{result.failed} failed, {result.unchanged} already recorded; "
        f"{result.rows_loaded} rows loaded, {result.rows_quarantined} quarantined "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return result


class _EntityLoad:
    """The new files of one entity: hash, skip or load, in lexical order."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        entity: Entity,
        data_dir: Path,
        run_id: str,
        prior: Prior,
        say: Log,
    ) -> None:
        self.con, self.entity, self.data_dir = con, entity, data_dir
        self.run_id, self.prior, self.say = run_id, prior, say
        self.done: list[FileResult] = []
        self.unchanged = 0

    def _add(self, fr: FileResult) -> None:
        self.prior.record(fr)
        self.done.append(fr)

    def run(self, files: list[zone.ZoneFile]) -> list[FileResult]:
        con, entity, run_id, prior, say = self.con, self.entity, self.run_id, self.prior, self.say
        todo: dict[str, tuple[str, int]] = {}  # parquet: rel -> (hash, size), loaded in batches
        later: list[tuple[str, str, int]] = []  # parquet: same bytes as a file in ``todo``
        self.paths = {f.rel: f.path for f in files}
        for f in files:
            rel, path = f.rel, f.path
            if path is None:  # refused by its name or where it points: nothing is read
                if (rel, "") in prior.seen:
                    self.unchanged += 1
                    continue
                self._add(
                    _reject(con, say, run_id, entity, rel, "", 0, f.problem or f"{rel} refused")
                )
                continue
            try:
                h, size = file_hash(path), path.stat().st_size
            except OSError as e:
                self._add(
                    _reject(
                        con, say, run_id, entity, rel, "", 0, f"{rel} cannot be read: {e}", True
                    )
                )
                continue
            if (rel, h) in prior.seen:
                self.unchanged += 1
                continue
            if rel in prior.hashes and prior.hashes[rel] != h:
                say(f"{rel}: its bytes changed since last recorded; loading it as a new delivery")
            original = prior.loaded.get((entity.name, h))
            if original is not None:
                self._add(_skip_duplicate(con, run_id, entity, rel, h, size, original, say))
            elif entity.format != "parquet":
                self._add(_load_text(con, entity, path, rel, h, size, run_id, say))
            elif any(h == th for th, _ in todo.values()):
                later.append((rel, h, size))  # decided once we know whether the first loaded
            else:
                todo[rel] = (h, size)

        self._load_parquet([(rel, h, size) for rel, (h, size) in todo.items()])
        retry = []  # copies whose original did not load are tried on their own
        for rel, h, size in later:
            original = prior.loaded.get((entity.name, h))
            if original is None:
                retry.append((rel, h, size))
            else:
                self._add(_skip_duplicate(con, run_id, entity, rel, h, size, original, say))
        self._load_parquet(retry)
        return sorted(self.done, key=lambda f: f.file)

    def _load_parquet(self, items: list[tuple[str, str, int]]) -> None:
        pfs = [parquet.ParquetFile(rel, self.paths[rel], h, size) for rel, h, size in items]
        if pfs:
            for fr in parquet.load_files(
                self.con, self.entity, pfs, data_dir=self.data_dir, run_id=self.run_id, log=self.say
            ):
                self._add(fr)


def _skip_duplicate(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    entity: Entity,
    rel: str,
    h: str,
    size: int,
    original: str,
    say: Log,
) -> FileResult:
    fr = FileResult(
        run_id=run_id,
        source=entity.source,
        entity=entity.name,
        file=rel,
        file_hash=h,
        status="skipped_duplicate",
        loaded_at=utcnow(),
        file_bytes=size,
        duplicate_of=original,
    )
    write_manifest(con, [fr])
    say(f"{rel}: byte-identical to {original}; skipped as a duplicate")
    return fr


def _failed(
    run_id: str, entity: Entity, rel: str, h: str, size: int, error: str, retryable: bool = False
) -> FileResult:
    return FileResult(
        run_id=run_id,
        source=entity.source,
        entity=entity.name,
        file=rel,
        file_hash=h,
        status="failed",
        error=error,
        loaded_at=utcnow(),
        file_bytes=size,
        retryable=retryable,
    )


def _reject(
    con: duckdb.DuckDBPyConnection,
    say: Log,
    run_id: str,
    entity: Entity,
    rel: str,
    h: str,
    size: int,
    error: str,
    retryable: bool = False,
) -> FileResult:
    """A file that is not loaded: its failed manifest row, written now, and said."""
    fr = _failed(run_id, entity, rel, h, size, error, retryable)
    write_manifest(con, [fr])
    say(f"REJECTED {fr.error}")
    return fr


def _inputs(entity: Entity) -> list[ColumnInput]:
    inputs = [ColumnInput(c, f'"{c.name}"', STRING) for c in entity.columns]
    for c in entity.nested_columns:
        label = f"'{entity.nested}[' || _nested_index || '].{c.name}'"
        present = "_nested_index is not null"
        inputs.append(ColumnInput(c, f'"{c.name}"', STRING, label=label, present=present))
    return inputs


def _load_text(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    path: Path,
    rel: str,
    h: str,
    size: int,
    run_id: str,
    say: Log,
) -> FileResult:
    try:
        data = read_bounded(path)
    except FileRejected as e:
        return _reject(con, say, run_id, entity, rel, h, size, f"{rel} {e}")
    except OSError as e:
        return _reject(con, say, run_id, entity, rel, h, size, f"{rel} cannot be read: {e}", True)
    try:
        parsed: Parsed = (
            read_csv(data, entity) if entity.format == "csv" else read_jsonl(data, entity)
        )
    except FileRejected as e:
        return _reject(con, say, run_id, entity, rel, h, size, f"{rel} {e}")

    loaded_at = utcnow()
    n = parsed.table.num_rows
    rel_sql = Relation(
        sql="_cswh_in",
        file=lit(rel),
        row_number="_row_number",
        raw_record="_raw",
        extra="_extra",
        pre_reason="_pre",
        fatal_reason="_fatal",
    )
    con.register("_cswh_in", parsed.table)
    mapped: dict[str, int] = {}
    try:
        con.begin()
        try:
            loaded, bad = load_relation(
                con,
                entity,
                rel_sql,
                _inputs(entity),
                run_id=run_id,
                loaded_at=loaded_at,
                expected_rows=n,
                mapped=mapped,
            )
            fr = FileResult(
                run_id=run_id,
                source=entity.source,
                entity=entity.name,
                file=rel,
                file_hash=h,
                status="loaded",
                rows_read=n,
                rows_loaded=loaded,
                rows_quarantined=sum(bad.values()),
                loaded_at=loaded_at,
                file_bytes=size,
                extra_columns=parsed.extra_columns,
                missing_columns=parsed.missing_columns,
                values_mapped=int(mapped.get(rel, 0)),
            )
            write_manifest(con, [fr])
            con.commit()
        except Exception as e:
            con.rollback()
            _logger.error("loading %s failed:\n%s", rel, traceback.format_exc())
            fr = _failed(
                run_id,
                entity,
                rel,
                h,
                size,
                f"{rel} could not be loaded (unexpected error: {e})",
                True,
            )
            write_manifest(con, [fr])
            say(f"FAILED {fr.error}; it will be tried again on the next run")
            return fr
    finally:
        con.unregister("_cswh_in")

    enc = "" if parsed.encoding.startswith("utf-8") else f" ({parsed.encoding})"
    say(f"{rel}{enc}: {fr.rows_loaded} rows loaded, {fr.rows_quarantined} quarantined")
    if fr.values_mapped:
        say(f"{rel}: {fr.values_mapped} value(s) loaded through seed code_synonyms")
    if fr.extra_columns:
        say(f"{rel}: schema drift: extra column(s) {', '.join(fr.extra_columns)} kept in _extra")
    return fr
