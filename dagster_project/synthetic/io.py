"""Writers with the quirks real exports have (encodings, line endings, quoting)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

import numpy as np

from dagster_project.sources import entity


def contract_header(table: str) -> list[str]:
    """A landing-zone CSV's header, in the contract's column order (sources.py holds it)."""
    return [c.name for c in entity(table).columns]


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    encoding: str = "utf-8",
    crlf: bool = False,
) -> int:
    """RFC 4180 CSV (minimal quoting); None -> empty field. Returns data rows written.

    encoding "cp932" writes as Japanese Excel does; "utf-8-sig" writes a BOM.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding=encoding, newline="") as fh:
        wr = csv.writer(fh, lineterminator="\r\n" if crlf else "\n")
        wr.writerow(header)
        for row in rows:
            wr.writerow(["" if v is None else v for v in row])
            n += 1
    return n


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def write_jsonl(path: Path, records: Iterable[dict]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [_ENCODE(rec) for rec in records]
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("\n".join(lines))
        if lines:
            fh.write("\n")
    return len(lines)


def timestamps(start: date, day: np.ndarray, sec: np.ndarray, sep: str = " ") -> list[str]:
    """'YYYY-MM-DD HH:MM:SS' strings (Japan time) for day offsets from start + seconds."""
    base = np.datetime64(start, "s")
    vals = base + (np.asarray(day, np.int64) * 86_400 + np.asarray(sec, np.int64)).astype(
        "timedelta64[s]"
    )
    out = np.datetime_as_string(vals, unit="s")
    if sep != "T" and len(out):
        out = np.char.replace(out, "T", sep)
    return out.tolist()


def dates(start: date, day: np.ndarray) -> list[str]:
    vals = np.datetime64(start, "D") + np.asarray(day, np.int64).astype("timedelta64[D]")
    return np.datetime_as_string(vals, unit="D").tolist()
