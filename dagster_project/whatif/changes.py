"""The seed changes a what-if tries: parsed, checked against the seeds' yml, applied.

Two ways to say them (CONTRACT section 2, `cswh whatif`):

- ``--set SEED.KEY.COLUMN=VALUE``: one cell. KEY is the row's key value (the seed's key column,
  from its yml: ``health_metrics.wau_rate.green_at=0.5``, ``health_tiers.healthy.min_score=65``,
  ``cta_rules.quota_80.threshold=0.9``); a seed keyed by two columns joins them with ``:``
  (``code_labels.health_tier:critical.label_ja=要対応``). An empty VALUE sets the cell empty
  (null), as an empty cell of the seed's CSV does.
- ``--seeds DIR``: CSV files in the seed format, named like the seed they change
  (``DIR/health_metrics.csv``). Each row names its key and replaces the values of the columns
  the file has, in the seed's row with that key; the seed's other rows and columns stay as
  they are. A full copy of a seed file therefore works too (its unchanged rows change
  nothing). A what-if changes values: a key the seed does not have is an error (a new tier
  or rule needs a model change and a review), and so are changes to a key column.

Every change is checked before anything runs: the seed, key and column exist, the value has
the column's type (config column_types of the seed's yml), and the changed seed still keeps
the rules its yml tests on values alone (not null, accepted values, references to another
seed). A problem is a ``ChangeError`` naming the change and the fix.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster_project.seeds import SeedSchema, read_seed, seed_path, seed_schemas

KEY_JOIN = ":"


class ChangeError(ValueError):
    """A change that cannot be tried; the message says which and why."""


@dataclass(frozen=True, order=True)
class Change:
    seed: str
    key: tuple[str, ...]
    column: str
    value: str | None  # as written into the seed CSV; None = empty cell

    @property
    def key_text(self) -> str:
        return KEY_JOIN.join(self.key)

    def __str__(self) -> str:
        return f"{self.seed}.{self.key_text}.{self.column}={self.value or ''}"


@dataclass(frozen=True)
class CellChange:
    """One cell whose value differs between today's seed and the proposed one."""

    seed: str
    key: str
    column: str
    value_now: str | None
    value_proposed: str | None


Rows = list[dict[str, str | None]]


def normalise(value: str, column_type: str, where: str) -> str | None:
    """The value as the seed CSV holds it, or ChangeError when it is not of the column's type."""
    text = value.strip()
    if text == "":
        return None
    kind = column_type.split("(")[0]
    try:
        if kind in ("integer", "int", "bigint", "smallint", "tinyint", "hugeint"):
            return str(int(text))
        if kind in ("double", "float", "real", "decimal", "numeric"):
            number = float(text)
            if not math.isfinite(number):
                raise ValueError
            return text
        if kind in ("boolean", "bool"):
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower()
        if kind == "date":
            return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ChangeError(f"{where}: {value!r} is not of type {kind}") from None
    return value


class SeedSet:
    """Today's seeds of the dbt project in use, and the changes tried on them."""

    def __init__(self, project_dir: Path | None = None) -> None:
        self.project_dir = project_dir
        self.schemas = {
            name: schema
            for name, schema in seed_schemas(project_dir).items()
            if seed_path(name, project_dir).exists()
        }
        self._rows: dict[str, Rows] = {}

    # -- lookups -------------------------------------------------------------------------
    def schema(self, seed: str, where: str) -> SeedSchema:
        if seed not in self.schemas:
            raise ChangeError(
                f"{where}: no seed {seed!r}; seeds are {', '.join(sorted(self.schemas))}"
            )
        schema = self.schemas[seed]
        if not schema.key:
            raise ChangeError(f"{where}: seed {seed!r} declares no key in its yml")
        return schema

    def rows(self, seed: str) -> Rows:
        """Today's rows of ``seed`` (read once; callers copy before changing them)."""
        if seed not in self._rows:
            self._rows[seed] = read_seed(seed, self.project_dir)
        return self._rows[seed]

    def columns(self, seed: str) -> list[str]:
        with seed_path(seed, self.project_dir).open(encoding="utf-8", newline="") as f:
            return next(csv.reader(f))

    def _row_index(self, seed: str) -> dict[tuple[str, ...], int]:
        key = self.schemas[seed].key
        return {tuple(row[k] or "" for k in key): i for i, row in enumerate(self.rows(seed))}

    def _check_cell(self, schema: SeedSchema, key: tuple[str, ...], column: str, where: str):
        columns = self.columns(schema.name)
        if column not in columns:
            raise ChangeError(
                f"{where}: seed {schema.name} has no column {column!r}; its columns are "
                + ", ".join(columns)
            )
        if column in schema.key:
            raise ChangeError(
                f"{where}: {column} is the key of seed {schema.name}; a what-if changes the "
                "values of existing rows, not their keys"
            )
        index = self._row_index(schema.name)
        if key not in index:
            known = sorted(KEY_JOIN.join(k) for k in index)
            raise ChangeError(
                f"{where}: seed {schema.name} has no row with {'/'.join(schema.key)} = "
                f"{KEY_JOIN.join(key)!r}; its keys are {', '.join(known)}"
            )

    # -- parsing -------------------------------------------------------------------------
    def parse_set(self, expression: str) -> Change:
        """``SEED.KEY.COLUMN=VALUE`` (the key may contain dots: seed is the first part,
        column the last)."""
        where = f"--set {expression}"
        target, eq, value = expression.partition("=")
        parts = target.split(".")
        if not eq or len(parts) < 3 or not all(p.strip() for p in parts):
            raise ChangeError(
                f"{where}: write SEED.KEY.COLUMN=VALUE, e.g. health_metrics.wau_rate.green_at=0.5"
            )
        seed, column = parts[0].strip(), parts[-1].strip().lower()
        key_text = ".".join(parts[1:-1]).strip()
        schema = self.schema(seed, where)
        key = tuple(k.strip() for k in key_text.split(KEY_JOIN))
        if len(key) != len(schema.key):
            raise ChangeError(
                f"{where}: seed {seed} is keyed by {' and '.join(schema.key)}; write the key "
                f"as {KEY_JOIN.join(f'<{k}>' for k in schema.key)}"
            )
        self._check_cell(schema, key, column, where)
        return Change(seed, key, column, normalise(value, self._type(schema, column), where))

    def parse_dir(self, folder: Path) -> list[Change]:
        """Every cell of the CSV files in ``folder`` (see the module's docstring)."""
        if not folder.is_dir():
            raise ChangeError(f"--seeds {folder}: not a folder")
        files = sorted(folder.glob("*.csv"))
        if not files:
            raise ChangeError(f"--seeds {folder}: no .csv file (name them like dbt/seeds/*.csv)")
        changes: list[Change] = []
        for path in files:
            where = f"--seeds {path}"
            schema = self.schema(path.stem, where)
            with path.open(encoding="utf-8-sig", newline="") as f:
                reader = csv.DictReader(f)
                header = [h.strip().lower() for h in reader.fieldnames or []]
                missing = [k for k in schema.key if k not in header]
                if missing:
                    raise ChangeError(f"{where}: the key column {', '.join(missing)} is missing")
                seen: set[tuple[str, ...]] = set()
                for number, raw in enumerate(reader, start=2):
                    row = {h.strip().lower(): v for h, v in raw.items() if h is not None}
                    key = tuple((row[k] or "").strip() for k in schema.key)
                    at = f"{where}, line {number}"
                    if key in seen:
                        raise ChangeError(f"{at}: key {KEY_JOIN.join(key)!r} appears twice")
                    seen.add(key)
                    for column in header:
                        if column in schema.key:
                            continue
                        self._check_cell(schema, key, column, at)
                        value = normalise(row[column] or "", self._type(schema, column), at)
                        changes.append(Change(schema.name, key, column, value))
        return changes

    @staticmethod
    def _type(schema: SeedSchema, column: str) -> str:
        return schema.column_types.get(column, "varchar")

    # -- applying ------------------------------------------------------------------------
    def proposed(self, changes: list[Change]) -> dict[str, Rows]:
        """The changed seeds' rows with the changes applied (today's rows for a seed they
        leave as it was), after checking the rules of the seeds' yml on them."""
        cells: dict[tuple[str, tuple[str, ...], str], str | None] = {}
        for change in changes:
            cell = (change.seed, change.key, change.column)
            if cell in cells and cells[cell] != change.value:
                raise ChangeError(f"{change}: the same cell is set twice to different values")
            cells[cell] = change.value
        out: dict[str, Rows] = {}
        for seed in sorted({c.seed for c in changes}):
            rows = [dict(r) for r in self.rows(seed)]
            index = self._row_index(seed)
            for (s, key, column), value in cells.items():
                if s == seed:
                    rows[index[key]][column] = value
            out[seed] = rows
        self._check_rules(out)
        return out

    def _check_rules(self, proposed: dict[str, Rows]) -> None:
        for seed, rows in proposed.items():
            schema = self.schemas[seed]
            for row in rows:
                key = KEY_JOIN.join(row[k] or "" for k in schema.key)
                for column in sorted(schema.not_null):
                    if column in row and row[column] is None:
                        raise ChangeError(f"{seed}.{key}.{column}: must not be empty")
                for column, allowed in schema.accepted_values.items():
                    if row.get(column) is not None and row[column] not in allowed:
                        raise ChangeError(
                            f"{seed}.{key}.{column}: {row[column]!r} is not one of "
                            + ", ".join(allowed)
                        )
                for column, (other, field) in schema.relationships.items():
                    values = {r[field] for r in proposed.get(other) or self.rows(other)}
                    if row.get(column) is not None and row[column] not in values:
                        raise ChangeError(
                            f"{seed}.{key}.{column}: {row[column]!r} is not a {field} of seed {other}"
                        )

    def differences(self, proposed: dict[str, Rows]) -> list[CellChange]:
        """The cells whose proposed value differs from today's, in seed, key, column order."""
        out = []
        for seed, rows in sorted(proposed.items()):
            key_cols = self.schemas[seed].key
            for before, after in zip(self.rows(seed), rows, strict=True):
                key = KEY_JOIN.join(before[k] or "" for k in key_cols)
                for column in before:
                    if before[column] != after[column]:
                        out.append(CellChange(seed, key, column, before[column], after[column]))
        return out

    def write(self, seed: str, rows: Rows, folder: Path) -> Path:
        """The seed CSV with ``rows`` (columns in the seed's order) under ``folder``."""
        path = folder / f"{seed}.csv"
        columns = self.columns(seed)
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow(["" if row[c] is None else row[c] for c in columns])
        return path


def digest(seeds: dict[str, Rows]) -> str:
    """A stable fingerprint of seed contents (for the record of a comparison)."""
    h = hashlib.sha256()
    for seed, rows in sorted(seeds.items()):
        h.update(seed.encode())
        for row in rows:
            h.update(repr(sorted(row.items())).encode())
    return h.hexdigest()
