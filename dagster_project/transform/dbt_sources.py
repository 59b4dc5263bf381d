"""dbt's source definitions, generated from the landing-zone contract (``sources.py``).

``dbt/models/staging/<source>/_<source>__sources.yml`` describe the raw tables to dbt: their
identifiers, columns and types, the Dagster asset each maps to and the freshness expected of
the source. All of it is in ``sources.py`` already, so these files are written from it
(``cswh dbt-sources``) and never edited by hand. ``dbt/models/dq/_dq__sources.yml`` is written the
same way from ``dq_schema.py``: the dq tables the pipeline writes from Python (descriptions,
Japanese labels, the values they hold), so the dbt docs and the ``dq.glossary`` model have them; ``cswh dbt-sources --check`` (make lint and
tests/test_dbt_sources.py) fails when a committed file differs from what would be written.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

from dagster_project import dq_schema
from dagster_project.config import DBT_PROJECT_DIR, PROJECT_ROOT
from dagster_project.extract.schema import RAW_SCHEMA, raw_columns
from dagster_project.sources import (
    CADENCES,
    LOAD_COLUMN_NOTES,
    SOURCE_DESCRIPTIONS,
    SOURCES,
    entities_of,
)

STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"
DQ_SOURCES = DBT_PROJECT_DIR / "models" / "dq" / "_dq__sources.yml"
HEADER = (
    "# Generated from dagster_project/sources.py by `cswh dbt-sources`: edit that file and\n"
    "# run it again (make lint fails while the two differ).\n"
)
DQ_HEADER = HEADER.replace("sources.py", "dq_schema.py")
LOADED = (
    "Loaded append-only by the extractor (Dagster asset raw/<table>); every delivery's rows "
    "are kept, staging deduplicates."
)


def path_of(source: str, staging: Path = STAGING_DIR) -> Path:
    return staging / source / f"_{source}__sources.yml"


def definition(source: str) -> dict[str, Any]:
    """The ``sources:`` entry of one source system, as dbt reads it."""
    tables = []
    for e in entities_of(source):
        types = raw_columns(e)
        notes = {c.name: c.note for c in e.all_columns} | LOAD_COLUMN_NOTES
        table: dict[str, Any] = {
            "name": e.name,
            "identifier": e.table,
            "description": f"{e.description} Key: {', '.join(e.key)}. "
            f"Landing-zone files: {e.glob} ({e.format}).",
        }
        cadence = CADENCES.get(source)
        config: dict[str, Any] = {"meta": {"dagster": {"asset_key": [RAW_SCHEMA, e.table]}}}
        if cadence is not None and cadence.table == e.table:
            # `dbt source freshness`: the newest load against the wall clock (see freshness.py
            # for how it differs from the Dagster check). warn_after only: it never errors.
            config["loaded_at_field"] = "_loaded_at"
            config["freshness"] = {"warn_after": {"count": cadence.max_age_days, "period": "day"}}
        table["config"] = config
        table["columns"] = [
            {"name": name, "data_type": type_, "description": notes[name]}
            for name, type_ in types.items()
        ]
        tables.append(table)
    return {
        "name": source,
        "description": f"{SOURCE_DESCRIPTIONS[source]} {LOADED}",
        "schema": RAW_SCHEMA,
        "tables": tables,
    }


def render(source: str) -> str:
    return HEADER + _yaml({"version": 2, "sources": [definition(source)]})


def dq_definition() -> dict[str, Any]:
    """The ``sources:`` entry of the dq tables written from Python (``dq_schema.DQ_TABLES``):
    read by the dbt docs and ``dq.glossary``, never selected from by a model."""
    tables = []
    for t in dq_schema.DQ_TABLES:
        columns = []
        for name, (type_, text, label_ja) in t.columns.items():
            column: dict[str, Any] = {"name": name, "data_type": type_, "description": text}
            meta: dict[str, Any] = {"label_ja": label_ja}
            if (values := dq_schema.COLUMN_VALUES.get((t.name, name))) is not None:
                meta["values"] = values
                column["description"] = f"{text}. " + "; ".join(
                    f"{v}: {m}" for v, m in values.items()
                )
            column["config"] = {"meta": meta}
            columns.append(column)
        tables.append(
            {
                "name": t.name,
                "description": t.comment,
                "config": {"meta": {"label_ja": t.label_ja}},
                "columns": columns,
            }
        )
    return {
        "name": dq_schema.DQ_SCHEMA,
        "description": "Audit tables the pipeline writes from Python (dagster_project/"
        "dq_schema.py): every load attempt, every quarantined record, every check result "
        "and every publication, kept across runs.",
        "schema": dq_schema.DQ_SCHEMA,
        "tables": tables,
    }


def render_dq() -> str:
    return DQ_HEADER + _yaml({"version": 2, "sources": [dq_definition()]})


def expected(staging: Path = STAGING_DIR, dq: Path = DQ_SOURCES) -> dict[Path, str]:
    return {path_of(s, staging): render(s) for s in SOURCES} | {dq: render_dq()}


def write(staging: Path = STAGING_DIR, dq: Path = DQ_SOURCES) -> list[Path]:
    """Write every source's file; return those whose content changed."""
    changed = []
    for path, text in expected(staging, dq).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def check(staging: Path = STAGING_DIR, dq: Path = DQ_SOURCES) -> list[str]:
    """What differs between the committed files and the generated ones (empty: nothing)."""
    wanted = expected(staging, dq)
    problems = []
    for path, text in wanted.items():
        if not path.exists():
            problems.append(f"{_shown(path)}: missing")
            continue
        have = path.read_text(encoding="utf-8").splitlines()
        diff = difflib.unified_diff(have, text.splitlines(), lineterm="", n=0)
        lines = [f"    {d}" for d in diff if not d.startswith(("---", "+++", "@@"))]
        if lines:
            more = [f"    ... {len(lines) - 12} more lines"] if len(lines) > 12 else []
            origin = "dq_schema.py" if path == dq else "sources.py"
            problems.append(
                "\n".join([f"{_shown(path)}: differs from {origin}", *lines[:12], *more])
            )
    for path in sorted(staging.glob("*/_*__sources.yml")):
        if path not in wanted:
            problems.append(f"{_shown(path)}: a source that sources.py does not have")
    return problems


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


# A minimal YAML writer for the shapes above, laid out as the rest of the dbt project is
# (block mappings, lists of mappings, one-line lists and mappings of scalars). Strings are
# JSON-quoted, which YAML reads as double-quoted; the tests parse the result back and compare.
_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}  # YAML 1.1 reads them


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and _PLAIN.match(value) and value.lower() not in _RESERVED:
        return value
    return json.dumps(value, ensure_ascii=False)


def _flow(value: Any) -> str | None:
    """One-line form of a small list or mapping of scalars, else None."""
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    if isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values()):
        return "{" + ", ".join(f"{_scalar(k)}: {_scalar(v)}" for k, v in value.items()) + "}"
    return None


def _yaml(value: Any, indent: int = 0) -> str:
    pad = " " * indent
    out = []
    if isinstance(value, dict):
        for key, v in value.items():
            if not isinstance(v, dict | list):
                out.append(f"{pad}{key}: {_scalar(v)}")
            elif (flow := _flow(v)) is not None:
                out.append(f"{pad}{key}: {flow}")
            else:
                out.append(f"{pad}{key}:\n{_yaml(v, indent + 2)}")
    else:
        for item in value:  # a list of mappings: "- " takes the first key's indent
            out.append(f"{pad}- {_yaml(item, indent + 2)[indent + 2 :]}")
    return "\n".join(out) + ("\n" if indent == 0 else "")
