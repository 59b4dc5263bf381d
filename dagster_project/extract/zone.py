"""The landing zone as extraction sees it: which files each entity's glob names, and which
names are refused before a byte of them is read.

The zone is walked without following symlinks blindly (``Path.glob`` follows a symlinked
``crm/`` folder anywhere, and silently skips a symlinked folder under ``**``, so neither is
used). Every name under a source's folder ends in one of:

- a file to read: a regular file, or a symlink whose resolved target is a regular file
  *inside* the zone (a tool that keeps ``accounts_latest.csv -> accounts_2026-06-01.csv`` is
  served; the copy is then a ``skipped_duplicate``). It is opened through its resolved path,
  checked to lie inside the zone, never through the link, so a name cannot be re-pointed
  between the check and the read. A symlinked folder inside the zone is walked once (loops
  end there).
- a refused name, recorded in the manifest as ``failed`` with the reason and nothing read:
  a symlink (file or folder) whose target is outside the zone, a broken symlink, something
  that is not a regular file (a FIFO would block the reader for ever), a name holding a
  control character, a line or paragraph separator, a bidi override, or bytes that are not
  UTF-8. Such a name is written to the manifest escaped (``\\n``, ``\\x1b``, ``\\xff``), so
  the manifest, the logs and the pages never carry the raw character.

Hidden names (starting with ``.``: partial uploads) are ignored, as before.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from dagster_project.sources import Entity

OUTSIDE = "symlink pointing outside the landing zone"

# Unicode categories refused in a name: controls (\n, \r, \t, ESC...), surrogates (bytes
# that are not UTF-8, as os.fsdecode hands them over), line and paragraph separators.
_ODD_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
# Bidirectional overrides and isolates make a name read differently from what it is.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


@dataclass(frozen=True)
class ZoneFile:
    rel: str  # the name in the zone, '/'-separated, escaped if odd: the manifest's ``file``
    path: Path | None  # the resolved path inside the zone that is read; None when refused
    problem: str | None = None  # why it is refused (the manifest error), or None
    is_dir: bool = False  # a refused folder (a symlinked folder pointing outside)


def shown(name: str) -> str:
    """A name as it may be written anywhere: odd characters escaped, the rest as is."""
    out = []
    for ch in name:
        if unicodedata.category(ch) == "Cs" and 0xDC80 <= ord(ch) <= 0xDCFF:
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")  # a byte that is not UTF-8
        elif ch in _BIDI or unicodedata.category(ch) in _ODD_CATEGORIES:
            out.append(repr(ch)[1:-1] if ch not in "'\"" else ch)
        else:
            out.append(ch)
    return "".join(out)


def odd_name(name: str) -> str | None:
    """Why a file or folder name is refused, or None."""
    bad = [ch for ch in name if ch in _BIDI or unicodedata.category(ch) in _ODD_CATEGORIES]
    if not bad:
        return None
    if any(unicodedata.category(ch) == "Cs" for ch in bad):
        return "its name is not valid UTF-8"
    kinds = ", ".join(sorted({shown(ch) for ch in bad}))
    return f"its name holds a control or invisible character ({kinds})"


def inside(zone: Path, path: Path) -> bool:
    """Whether a resolved path lies in the (resolved) zone."""
    return path == zone or zone in path.parents


def resolve_in_zone(zone: Path, rel: str) -> Path:
    """The resolved path of a zone-relative name; ValueError if it escapes the zone
    (absolute, ``..`` components, or a symlink anywhere on the way pointing outside)."""
    parts = rel.split("/")
    if rel.startswith("/") or Path(rel).is_absolute() or ".." in parts or "" in parts:
        raise ValueError(f"{shown(rel)}: not a plain path inside the landing zone")
    path = (zone / rel).resolve()
    if not inside(zone, path):
        raise ValueError(f"{shown(rel)}: resolves to {shown(str(path))}, outside the landing zone")
    return path


def walk(zone: Path, top: str) -> list[ZoneFile]:
    """Every non-hidden name under ``zone/top`` (``top`` itself may be a symlink), sorted.

    Iterative (a folder tree thousands deep cannot exhaust the stack). Real folders are
    walked before symlinked ones, so a file reachable both ways is listed under its real
    name, and a symlinked folder whose target was already walked (or a loop) adds nothing."""
    zone = zone.resolve()
    found: list[ZoneFile] = []
    visited: set[Path] = set()
    start = zone / top
    if not (start.exists() or start.is_symlink()):
        return found
    todo: list[tuple[str, Path, bool]] = [(top, start, start.is_symlink())]
    linked: list[tuple[str, Path]] = []  # symlinked folders inside the zone, walked last
    while todo or linked:
        if todo:
            rel, entry_path, is_link = todo.pop()
        else:
            rel, entry_path = linked.pop(0)
            is_link = False  # already resolved and checked
        name = rel.rsplit("/", 1)[-1]
        problem = odd_name(name)
        if problem:
            found.append(
                ZoneFile(
                    shown(rel),
                    None,
                    f"{shown(rel)} refused: {problem}; rename it",
                    is_dir=os.path.isdir(entry_path),
                )
            )
            continue
        try:
            real = Path(os.path.realpath(entry_path, strict=True))
        except OSError as e:
            if is_link:
                found.append(
                    ZoneFile(rel, None, f"{rel} refused: broken symlink ({e.strerror or e})")
                )
            continue  # vanished while walking: it will be seen on the next run
        if not inside(zone, real):
            what = "folder" if real.is_dir() else "file"
            found.append(
                ZoneFile(
                    rel,
                    None,
                    f"{rel} refused: {what} {OUTSIDE} ({shown(str(real))}); not read",
                    is_dir=real.is_dir(),
                )
            )
            continue
        if real.is_dir():
            if is_link:
                linked.append((rel, entry_path))
                continue
            if real in visited:
                continue  # a second name for a folder already walked (or a loop)
            visited.add(real)
            try:
                entries = sorted(os.scandir(real), key=lambda e: e.name, reverse=True)
            except OSError:
                continue
            todo += [
                (f"{rel}/{e.name}", Path(e.path), e.is_symlink())
                for e in entries
                if not e.name.startswith(".")
            ]
        elif real.is_file():
            found.append(ZoneFile(rel, real))
        else:
            found.append(ZoneFile(rel, None, f"{rel} refused: not a regular file; not read"))
    return sorted(found, key=lambda f: f.rel)


def _match(glob: list[str], parts: list[str]) -> bool:
    if not glob:
        return not parts
    if glob[0] == "**":
        return any(_match(glob[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatchcase(parts[0], glob[0]) and _match(glob[1:], parts[1:])


def matches(entity: Entity, f: ZoneFile) -> bool:
    """Whether the entity's glob names this file, or (a refused folder) could name a file
    beneath it."""
    glob, parts = entity.glob.split("/"), f.rel.split("/")
    if not f.is_dir:
        return _match(glob, parts)
    for i, part in enumerate(parts):
        if i >= len(glob) - 1:
            return False
        if glob[i] == "**":
            return True
        if not fnmatchcase(part, glob[i]):
            return False
    return True


def entity_files(listing: Iterable[ZoneFile], entity: Entity) -> list[ZoneFile]:
    return [f for f in listing if matches(entity, f)]
