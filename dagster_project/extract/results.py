"""What a load reports: one ``FileResult`` per manifest row, one ``SourceResult`` per call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class FileResult:
    """One row of ``dq.load_manifest`` (same names; tuples where the table holds lists)."""

    run_id: str
    source: str
    entity: str
    file: str
    file_hash: str
    status: str  # loaded | skipped_duplicate | failed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None
    loaded_at: datetime | None = None
    file_bytes: int = 0
    extra_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    duplicate_of: str | None = None
    retryable: bool = False
    values_mapped: int = 0  # enum values loaded through seed code_synonyms

    @property
    def file_entity(self) -> str:
        """Alias of ``entity`` (the entity name within the source, e.g. ``accounts``)."""
        return self.entity

    def manifest_row(self) -> tuple:
        return (
            self.run_id,
            self.source,
            self.file,
            self.file_hash,
            self.status,
            self.rows_read,
            self.rows_loaded,
            self.rows_quarantined,
            self.error,
            self.loaded_at,
            self.entity,
            self.file_bytes,
            ", ".join(self.extra_columns) or None,
            ", ".join(self.missing_columns) or None,
            self.duplicate_of,
            self.retryable,
            self.values_mapped,
        )


@dataclass
class SourceResult:
    """What ``load_source`` did for one source system in one run."""

    source: str
    files: list[FileResult] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)  # "crm__accounts" -> rows in raw
    unchanged: int = 0  # files already in the manifest with the same bytes: not attempted

    def _count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def loaded(self) -> int:
        return self._count("loaded")

    @property
    def skipped(self) -> int:
        return self._count("skipped_duplicate")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)
