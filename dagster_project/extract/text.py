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
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from dagster_project.sources import Entity

from .limits import MAX_JSON_DEPTH, MAX_LINE_BYTES, READ_CHUNK_BYTES, mb

csv.field_size_limit(MAX_LINE_BYTES)


class FileRejected(Exception):
    """The file as a whole cannot be loaded (unparseable, or a required column missing)."""


@dataclass
class Parsed:
    table: pa.Table
    extra_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()  # nullable contract columns absent: loaded as null
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)


def read_bounded(path: Path) -> bytes:
    """The file's bytes, streamed in chunks; FileRejected as soon as one physical line
    (bytes between two of \\n or \\r) is longer than MAX_LINE_BYTES, having read at most
    that much more than the lines before it. CP932 and UTF-8 never use 0x0A or 0x0D inside
    a character, so the bytes are split exactly where the decoded text would be."""
    chunks: list[bytes] = []
    run = 0  # bytes of the current line so far
    newlines = 0  # line breaks (\\n) before the current chunk
    with path.open("rb") as f:
        while chunk := f.read(READ_CHUNK_BYTES):
            first = min((i for i in (chunk.find(b"\n"), chunk.find(b"\r")) if i >= 0), default=-1)
            if first < 0:
                run += len(chunk)
            else:
                run += first
            if run > MAX_LINE_BYTES:
                line = newlines + 1
                raise FileRejected(
                    f"cannot be read: line {line} is longer than {mb(MAX_LINE_BYTES)} "
                    "(a missing line break?); the file was not loaded"
                )
            if first >= 0:
                run = len(chunk) - 1 - max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
                newlines += chunk.count(b"\n")
            chunks.append(chunk)
    return b"".join(chunks)


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


# --------------------------------------------------------------------------------- CSV


def read_csv(data: bytes, entity: Entity) -> Parsed:
    text, encoding = decode(data)
    # Physical lines, split as csv wants them (\n, \r\n or \r); a record spans lines
    # [prev, reader.line_num), which gives its raw text without re-serialising it.
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(lines, strict=True)
    header: list[str] | None = None
    records: list[list[str]] = []
    raws: list[str] = []
    fatal: dict[int, str] = {}
    prev = 0
    try:
        for record in reader:
            cur = reader.line_num
            raw = lines[prev] if cur == prev + 1 else "".join(lines[prev:cur])
            prev = cur
            if not record:  # a blank line is no record
                continue
            if header is None:
                header = [h.strip().lstrip("\ufeff") for h in record]
                index, extras, missing = _map_header(header, entity)
                width = len(header)
                continue
            if len(record) != width:
                if len(record) > width and not any(record[width:]):
                    record = record[:width]  # trailing empty fields (a trailing comma): harmless
                else:
                    fatal[len(records)] = (
                        f"record has {len(record)} fields but the header has {width} (line {cur})"
                    )
                    record = [""] * width
            records.append(record)
            raws.append(raw.rstrip("\r\n"))
    except csv.Error as e:
        raise FileRejected(f"cannot be parsed as CSV at line {reader.line_num}: {e}") from e
    if header is None:
        raise FileRejected("has no header row (the file is empty)")

    n = len(records)
    arrays: dict[str, pa.Array] = {}
    for c in entity.all_columns:
        i = index.get(c.name)
        values = [r[i] for r in records] if i is not None else [None] * n
        arrays[c.name] = pa.array(values, pa.string())  # '' becomes null in SQL
    arrays["_row_number"] = pa.array(range(1, n + 1), pa.int64())
    arrays["_raw"] = pa.array(raws, pa.string())
    extra_values: list[str | None] = [None] * n
    if extras:
        pos = [(h, header.index(h)) for h in extras]
        extra_values = [
            None if k in fatal else _json({h: r[i] or None for h, i in pos})
            for k, r in enumerate(records)
        ]
    arrays["_extra"] = pa.array(extra_values, pa.string())
    arrays["_pre"] = pa.nulls(n, pa.string())
    arrays["_fatal"] = pa.array([fatal.get(k) for k in range(n)], pa.string())
    return Parsed(pa.table(arrays), tuple(extras), tuple(missing), encoding)


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


# -------------------------------------------------------------------------------- JSONL


class _Units:
    """Row units of a JSONL file (a record, or a nested element), as parallel lists."""

    def __init__(self) -> None:
        self.line: list[int] = []
        self.raw: list[str] = []
        self.values: list[dict] = []
        self.extra: list[dict | None] = []
        self.pre: list[str | None] = []
        self.fatal: list[str | None] = []
        self.nested_index: list[int | None] = []

    def add(
        self,
        line_no: int,
        raw: str,
        values: dict,
        *,
        extra: dict | None = None,
        pre: str | None = None,
        fatal: str | None = None,
        nested_index: int | None = None,
    ) -> None:
        self.line.append(line_no)
        self.raw.append(raw)
        self.values.append(values)
        self.extra.append(extra or None)
        self.pre.append(pre)
        self.fatal.append(fatal)
        self.nested_index.append(nested_index)

    def table(self, entity: Entity) -> pa.Table:
        n = len(self.line)
        problems: dict[int, list[str]] = {i: [p] for i, p in enumerate(self.pre) if p}
        nested = {c.name for c in entity.nested_columns}
        arrays: dict[str, pa.Array] = {}
        for c in entity.all_columns:
            values = [v.get(c.name) for v in self.values]
            for i in [i for i, v in enumerate(values) if v is not None and v.__class__ is not str]:
                v = values[i]
                if isinstance(v, dict | list):
                    name = c.name
                    if c.name in nested:
                        name = f"{entity.nested}[{self.nested_index[i]}].{c.name}"
                    problems.setdefault(i, []).append(
                        f"{name}: expected a single value, got {_kind(v)}"
                    )
                values[i] = _str(v)
            arrays[c.name] = pa.array(values, pa.string())
        arrays["_row_number"] = pa.array(self.line, pa.int64())
        arrays["_raw"] = pa.array(self.raw, pa.string())
        arrays["_extra"] = pa.array([_json(e) if e else None for e in self.extra], pa.string())
        arrays["_pre"] = pa.array(
            ["; ".join(problems[i]) if i in problems else None for i in range(n)], pa.string()
        )
        arrays["_fatal"] = pa.array(self.fatal, pa.string())
        if entity.nested:
            arrays["_nested_index"] = pa.array(self.nested_index, pa.int64())
        return pa.table(arrays)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # a string, or a bracket


def json_depth_over(line: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects in one JSON text nest deeper than ``limit`` (brackets
    inside strings do not count). Cheap for ordinary lines: only a line with more than
    ``limit`` opening brackets is scanned."""
    if line.count("[") + line.count("{") <= limit:
        return False
    depth = 0
    for m in _JSON_TOKEN.finditer(line):
        t = m.group()
        if t in "[{":
            depth += 1
            if depth > limit:
                return True
        elif t in "]}":
            depth -= 1
    return False


def read_jsonl(data: bytes, entity: Entity) -> Parsed:
    text, encoding = decode(data)
    units = _Units()
    top = {c.name for c in entity.columns}
    known = top | ({entity.nested} if entity.nested else set())
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
        deep = f"line {line_no} nests arrays or objects deeper than {MAX_JSON_DEPTH} levels"
        if json_depth_over(line):
            units.add(line_no, line, {}, fatal=deep)
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            units.add(line_no, line, {}, fatal=f"line is not valid JSON: {e}")
            continue
        except RecursionError:  # belt and braces: json_depth_over should have caught it
            units.add(line_no, line, {}, fatal=deep)
            continue
        if obj.__class__ is not dict:
            units.add(line_no, line, {}, fatal="line is not a JSON object")
            continue
        objects += 1
        seen_top.update(obj)
        unknown = obj.keys() - known
        extra = {k: obj[k] for k in unknown} if unknown else None
        if unknown:
            extra_names.update(unknown)
        if not entity.nested:
            units.add(line_no, line, obj, extra=extra)  # only contract names are read from it
            continue
        values = {k: v for k, v in obj.items() if k in top}
        regs = obj.get(entity.nested)
        if regs is None or regs == []:
            units.add(line_no, line, values, extra=extra)
            continue
        if not isinstance(regs, list):
            units.add(
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
                units.add(
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
            units.add(
                line_no,
                raw,
                {**values, **{k: v for k, v in reg.items() if k in sub}},
                extra={**(extra or {}), **reg_extra},
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
    return Parsed(units.table(entity), tuple(sorted(extra_names)), tuple(missing), encoding)
