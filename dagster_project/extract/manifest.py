"""Load bookkeeping: file hashes, what earlier runs did, writing manifest rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.dq_schema import MANIFEST_COLUMNS

from .results import FileResult


def utcnow() -> datetime:
    """Naive UTC timestamp (load metadata is UTC; data timestamps are Japan time)."""
    return datetime.now(UTC).replace(tzinfo=None)


def file_hash(path: Path) -> str:
    """sha256 of the file's bytes, streamed."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass
class Prior:
    """What the manifest already says about one source's files."""

    seen: set[tuple[str, str]] = field(default_factory=set)  # (file, hash): not attempted again
    loaded: dict[tuple[str, str], str] = field(default_factory=dict)  # (entity, hash) -> file
    hashes: dict[str, str] = field(default_factory=dict)  # file -> last recorded hash

    def record(self, fr: FileResult) -> None:
        if not (fr.status == "failed" and fr.retryable):
            self.seen.add((fr.file, fr.file_hash))
        if fr.status == "loaded":
            self.loaded.setdefault((fr.entity, fr.file_hash), fr.file)
        self.hashes[fr.file] = fr.file_hash


def prior_state(con: duckdb.DuckDBPyConnection, source: str, retry_failed: bool) -> Prior:
    prior = Prior()
    rows = con.execute(
        "select file, file_hash, status, entity, coalesce(retryable, false) "
        "from dq.load_manifest where source = ? order by loaded_at, file",
        [source],
    ).fetchall()
    for file, hash_, status, entity, retryable in rows:
        if status != "failed" or not (retryable or retry_failed):
            prior.seen.add((file, hash_))
        if status == "loaded":
            prior.loaded.setdefault((entity, hash_), file)
        prior.hashes[file] = hash_
    return prior


_INSERT = (
    f"insert into dq.load_manifest ({', '.join(MANIFEST_COLUMNS)}) "
    f"values ({', '.join('?' for _ in MANIFEST_COLUMNS)})"
)


def write_manifest(con: duckdb.DuckDBPyConnection, results: list[FileResult]) -> None:
    """Insert manifest rows (inside the caller's transaction, if any)."""
    if results:
        con.executemany(_INSERT, [r.manifest_row() for r in results])
