"""CSV and JSONL readers: bytes -> an Arrow table of strings, one row per record.

Parsing (encodings, quoting, JSON) happens here; typing and domain rules are checked in
SQL afterwards (``validate.py``). Every record becomes a row of the Arrow table, also the
ones that cannot be validated (a line that is not JSON): those carry ``_fatal`` and go
straight to quarantine, so rows read = rows loaded + rows quarantined holds by construction.

Arrow columns: one per contract column (string or null), then ``_row_number``, ``_raw``
(the record as delivered), ``_extra`` (JSON of unknown columns), ``_pre`` (a problem found
while reading, reported together with the SQL checks), ``_fatal`` (the record is bad for this
reason only) and, for nested entities, ``_nested_index`` (0-based index in the nested list).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from dagster_project.sources import Entity

csv.field_size_limit(16 * 1024 * 1024)


class FileRejected(Exception):
    """The file as a whole cannot be loaded (unparseable, or a required column missing)."""


@dataclass
class Parsed:
    table: pa.Table
    extra_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()  # nullable contract columns absent: loaded as null
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else CP932 (Shift_JIS as Windows writes it)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise FileRejected(f"starts with a UTF-8 BOM but is not valid UTF-8 ({e})") from e
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError as e:
        raise FileRejected(
            f"cannot be decoded as text: neither UTF-8 nor CP932 (Shift_JIS) ({e})"
        ) from e


def _str(value: object) -> str | None:
    """A JSON scalar as the text the SQL checks parse."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _json(value: object) -> str:
    """Compact JSON, as DuckDB's json_object writes it (``_extra`` of every format)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _kind(value: object) -> str:
    return "an object" if isinstance(value, dict) else "a list"


def _table(entity: Entity, rows: dict[str, list], nested: bool) -> pa.Table:
    arrays = {c.name: pa.array(rows[c.name], pa.string()) for c in entity.all_columns}
    arrays["_row_number"] = pa.array(rows["_row_number"], pa.int64())
    for meta in ("_raw", "_extra", "_pre", "_fatal"):
        arrays[meta] = pa.array(rows[meta], pa.string())
    if nested:
        arrays["_nested_index"] = pa.array(rows["_nested_index"], pa.int64())
    return pa.table(arrays)


def _empty_rows(entity: Entity) -> dict[str, list]:
    names = [c.name for c in entity.all_columns]
    return {
        n: [] for n in [*names, "_row_number", "_raw", "_extra", "_pre", "_fatal", "_nested_index"]
    }


# --------------------------------------------------------------------------------- CSV


class _Tap:
    """Feeds lines to csv.reader and keeps them, so each record's raw text is known."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="")
        self.buf: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for line in self._lines:
            self.buf.append(line)
            yield line

    def take(self) -> str:
        raw = "".join(self.buf)
        self.buf.clear()
        return raw.rstrip("\r\n")


def read_csv(data: bytes, entity: Entity) -> Parsed:
    text, encoding = decode(data)
    tap = _Tap(text)
    reader = csv.reader(tap, strict=True)
    rows = _empty_rows(entity)
    try:
        header: list[str] | None = None
        for record in reader:
            raw = tap.take()
            if not record:  # a blank line is no record
                continue
            if header is None:
                header = [h.strip().lstrip("\ufeff") for h in record]
                index, extras, missing = _map_header(header, entity)
                continue
            _csv_record(entity, rows, header, index, extras, record, raw, reader.line_num)
    except csv.Error as e:
        raise FileRejected(f"cannot be parsed as CSV at line {reader.line_num}: {e}") from e
    if header is None:
        raise FileRejected("has no header row (the file is empty)")
    return Parsed(_table(entity, rows, False), tuple(extras), tuple(missing), encoding)


def _map_header(header: list[str], entity: Entity) -> tuple[dict[str, int], list[str], list[str]]:
    seen: dict[str, int] = {}
    dupes = []
    for i, name in enumerate(header):
        key = name.lower()
        if key in seen:
            dupes.append(name)
        seen.setdefault(key, i)
    if dupes:
        raise FileRejected(f"has duplicate column names in its header: {', '.join(dupes)}")
    index = {c.name: seen[c.name.lower()] for c in entity.columns if c.name.lower() in seen}
    required = [c.name for c in entity.columns if not c.nullable and c.name not in index]
    if required:
        raise FileRejected(
            f"lacks required column(s) {', '.join(required)} "
            f"(header: {', '.join(header) or 'empty'})"
        )
    known = {c.name.lower() for c in entity.columns}
    extras = [h for h in header if h.lower() not in known]
    if "" in extras:
        raise FileRejected("has a column without a name in its header")
    missing = [c.name for c in entity.columns if c.name not in index]
    return index, extras, missing


def _csv_record(
    entity: Entity,
    rows: dict[str, list],
    header: list[str],
    index: dict[str, int],
    extras: list[str],
    record: list[str],
    raw: str,
    line_num: int,
) -> None:
    n = len(rows["_row_number"]) + 1
    width = len(header)
    fatal = None
    if len(record) > width and not any(record[width:]):
        record = record[:width]  # trailing empty fields (a trailing comma): harmless
    if len(record) != width:
        fatal = f"record has {len(record)} fields but the header has {width} (line {line_num})"
        record = []
    for c in entity.all_columns:
        i = index.get(c.name)
        rows[c.name].append(record[i] if record and i is not None else None)
    rows["_row_number"].append(n)
    rows["_raw"].append(raw)
    if extras and record:
        pos = {h: i for i, h in enumerate(header)}
        rows["_extra"].append(_json({h: record[pos[h]] or None for h in extras}))
    else:
        rows["_extra"].append(None)
    rows["_pre"].append(None)
    rows["_fatal"].append(fatal)
    rows["_nested_index"].append(None)


# -------------------------------------------------------------------------------- JSONL


def read_jsonl(data: bytes, entity: Entity) -> Parsed:
    text, encoding = decode(data)
    rows = _empty_rows(entity)
    top = {c.name for c in entity.columns}
    sub = {c.name for c in entity.nested_columns}
    seen_top: set[str] = set()
    seen_sub: set[str] = set()
    extra_names: set[str] = set()
    objects = lines = 0
    n_sub = 0
    for line_no, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        lines += 1
        try:
            obj = json.loads(line)
        except ValueError as e:
            _jsonl_row(entity, rows, line_no, line, {}, fatal=f"line is not valid JSON: {e}")
            continue
        if not isinstance(obj, dict):
            _jsonl_row(entity, rows, line_no, line, {}, fatal="line is not a JSON object")
            continue
        objects += 1
        seen_top.update(obj)
        extra = {k: v for k, v in obj.items() if k not in top and k != entity.nested}
        extra_names.update(extra)
        values = {k: v for k, v in obj.items() if k in top}
        if not entity.nested:
            _jsonl_row(entity, rows, line_no, line, values, extra=extra)
            continue
        regs = obj.get(entity.nested)
        if regs is None or regs == []:
            _jsonl_row(entity, rows, line_no, line, values, extra=extra)
            continue
        if not isinstance(regs, list):
            _jsonl_row(
                entity,
                rows,
                line_no,
                line,
                values,
                extra=extra,
                pre=f"{entity.nested}: expected a list, got {type(regs).__name__} {_str(regs)!r}",
            )
            continue
        for i, reg in enumerate(regs):
            raw = json.dumps({**obj, entity.nested: [reg]}, ensure_ascii=False)
            if not isinstance(reg, dict):
                _jsonl_row(
                    entity,
                    rows,
                    line_no,
                    raw,
                    {},
                    nested_index=i,
                    fatal=f"{entity.nested}[{i}]: expected an object, got {_str(reg)!r}",
                )
                continue
            n_sub += 1
            seen_sub.update(reg)
            reg_extra = {f"{entity.nested}.{k}": v for k, v in reg.items() if k not in sub}
            extra_names.update(reg_extra)
            _jsonl_row(
                entity,
                rows,
                line_no,
                raw,
                {**values, **{k: v for k, v in reg.items() if k in sub}},
                extra={**extra, **reg_extra},
                nested_index=i,
            )
    if lines and not objects:
        raise FileRejected("cannot be parsed: no line is a valid JSON object")
    absent = [c.name for c in entity.columns if not c.nullable and c.name not in seen_top]
    if objects and absent:
        raise FileRejected(f"lacks required field(s) {', '.join(absent)} in every record")
    absent_sub = [
        c.name for c in entity.nested_columns if not c.nullable and c.name not in seen_sub
    ]
    if n_sub and absent_sub:
        raise FileRejected(
            f"lacks required field(s) {', '.join(absent_sub)} in every element of {entity.nested}"
        )
    missing = [c.name for c in entity.columns if c.name not in seen_top] if objects else []
    if n_sub:
        missing += [
            f"{entity.nested}.{c.name}" for c in entity.nested_columns if c.name not in seen_sub
        ]
    return Parsed(
        _table(entity, rows, bool(entity.nested)),
        tuple(sorted(extra_names)),
        tuple(missing),
        encoding,
    )


def _jsonl_row(
    entity: Entity,
    rows: dict[str, list],
    line_no: int,
    raw: str,
    values: dict,
    *,
    extra: dict | None = None,
    pre: str | None = None,
    fatal: str | None = None,
    nested_index: int | None = None,
) -> None:
    problems = [pre] if pre else []
    nested = set() if nested_index is None else {c.name for c in entity.nested_columns}
    for c in entity.all_columns:
        v = values.get(c.name)
        if isinstance(v, dict | list):
            name = f"{entity.nested}[{nested_index}].{c.name}" if c.name in nested else c.name
            problems.append(f"{name}: expected a single value, got {_kind(v)}")
            v = json.dumps(v, ensure_ascii=False)
        rows[c.name].append(_str(v))
    rows["_row_number"].append(line_no)
    rows["_raw"].append(raw)
    rows["_extra"].append(_json(extra) if extra else None)
    rows["_pre"].append("; ".join(problems) or None)
    rows["_fatal"].append(fatal)
    rows["_nested_index"].append(nested_index)
