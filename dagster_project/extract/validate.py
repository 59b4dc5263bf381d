"""Type and domain validation in DuckDB SQL, shared by every format.

A reader hands over a relation (an Arrow table of strings for CSV and JSONL, a
``read_parquet`` over a batch of files for Parquet) and, for each contract column, the SQL
expression that yields its input value and that value's type. From it we build:

- one typed expression per column (e.g. the string ``'2025-01-02T03:04:05+00:00'`` ->
  ``TIMESTAMP '2025-01-02 12:04:05'`` in Japan time),
- a list of (condition, message) checks per column; a row is valid when no condition
  holds, and its quarantine reason is every message whose condition holds, joined by "; ".

Good rows go to the raw table with one ``INSERT ... SELECT``; only when that inserted fewer
rows than were read do we run the second pass that writes the bad rows to ``dq.quarantine``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from dagster_project.sources import BOOLEAN, DATE, INTEGER, TIMESTAMP, VARCHAR, Column, Entity
from dagster_project.sql_text import ident as q
from dagster_project.sql_text import literal as lit

from .schema import RAW_SCHEMA
from .synonyms import synonyms

TZ = "Asia/Tokyo"
STRING = "string"  # input kind: text to be parsed (CSV, JSONL, Parquet VARCHAR)

_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
# Naive (Japan time): 'YYYY-MM-DD HH:MM:SS' (ISO 'T' and fractions accepted too).
_TS_NAIVE_RE = _DATE_RE + r"[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
# ISO 8601 with an offset or Z: converted to Japan time.
_TS_OFFSET_RE = _TS_NAIVE_RE + r" ?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)"
_INT_RE = r"[+-]?[0-9]+"
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")
_INT_TYPES = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_TS_TYPES = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "DATETIME"}
_TSTZ_TYPES = {"TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"}
_SHOW = 120  # characters of a bad value quoted in a reason


@dataclass(frozen=True)
class ColumnInput:
    column: Column
    expr: str  # SQL yielding the column's input value ('NULL' when the file lacks it)
    kind: str = STRING  # STRING, or the DuckDB type of a typed input (Parquet)
    label: str | None = None  # SQL string expression naming the column in reasons
    present: str | None = None  # SQL boolean: False -> a missing value is not an error


def _native_kind(kind: str, ctype: str) -> bool:
    """Whether a typed input can be used as is (else it is validated as text)."""
    k = kind.upper()
    if ctype == VARCHAR:
        return k == "VARCHAR"
    if ctype == INTEGER:
        return k in _INT_TYPES
    if ctype == DATE:
        return k == "DATE" or k in _TS_TYPES or k in _TSTZ_TYPES
    if ctype == TIMESTAMP:
        return k in _TS_TYPES or k in _TSTZ_TYPES or k == "DATE"
    if ctype == BOOLEAN:
        return k == "BOOLEAN"
    return False


def _rules(ci: ColumnInput, s: str, t: str) -> tuple[str, list[tuple[str, str]], str | None]:
    """Typed expression over input ``s``; checks over ``s`` and the typed value ``t``; and,
    for an enum column with synonyms (seed code_synonyms), the condition "a synonym was
    mapped to its code" (else None)."""
    col = ci.column
    label = ci.label or lit(col.name)
    kind = ci.kind.upper() if ci.kind != STRING else STRING
    native = kind != STRING and _native_kind(kind, col.type)

    def shown(x: str) -> str:  # the value, quoted and cut short, for a reason
        return f"'''' || left(cast({x} as varchar), {_SHOW}) || ''''"

    checks: list[tuple[str, str]] = []

    if not col.nullable:
        missing = f"{s} is null" if ci.present is None else f"({ci.present}) and {s} is null"
        checks.append((missing, f"{label} || ': required value is missing'"))

    if native:
        if col.type == INTEGER:
            typed = f"try_cast({s} as bigint)"
            checks.append(
                (f"{s} is not null and {t} is null", f"{label} || ': ' || {s} || ' is too large'")
            )
        elif col.type in (DATE, TIMESTAMP) and kind in _TSTZ_TYPES:
            typed = (
                f"cast(({s} at time zone '{TZ}') as {'date' if col.type == DATE else 'timestamp'})"
            )
        elif col.type == DATE:
            typed = f"cast({s} as date)"
        elif col.type == TIMESTAMP:
            typed = f"cast({s} as timestamp)"
        else:
            typed = s
    else:
        v = f"cast({s} as varchar)" if kind != STRING else s
        tv = f"trim({v})"
        if col.type == VARCHAR:
            typed = v
        elif col.type == INTEGER:
            typed = (
                f"case when regexp_full_match({tv}, '{_INT_RE}') then try_cast({tv} as bigint) end"
            )
            checks.append(
                (
                    f"{s} is not null and {t} is null",
                    f"{label} || ': ' || {shown(s)} || ' is not a valid integer'",
                )
            )
        elif col.type == DATE:
            typed = (
                f"case when regexp_full_match({tv}, '{_DATE_RE}') then try_cast({tv} as date) end"
            )
            checks.append(
                (
                    f"{s} is not null and {t} is null",
                    f"{label} || ': ' || {shown(s)} || ' is not a valid date (YYYY-MM-DD)'",
                )
            )
        elif col.type == TIMESTAMP:
            typed = (
                f"case when regexp_full_match({tv}, '{_TS_NAIVE_RE}') "
                f"then try_cast({tv} as timestamp) "
                f"when regexp_full_match({tv}, '{_TS_OFFSET_RE}') "
                f"then try_cast({tv} as timestamptz) at time zone '{TZ}' end"
            )
            checks.append(
                (
                    f"{s} is not null and {t} is null",
                    f"{label} || ': ' || {shown(s)} || ' is not a valid timestamp "
                    f"(YYYY-MM-DD HH:MM:SS Japan time, or ISO 8601 with an offset)'",
                )
            )
        elif col.type == BOOLEAN:
            trues = ", ".join(lit(x) for x in _TRUE)
            falses = ", ".join(lit(x) for x in _FALSE)
            typed = (
                f"case when lower({tv}) in ({trues}) then true "
                f"when lower({tv}) in ({falses}) then false end"
            )
            checks.append(
                (
                    f"{s} is not null and {t} is null",
                    f"{label} || ': ' || {shown(s)} || ' is not a valid boolean (true or false)'",
                )
            )
        else:  # pragma: no cover - sources.py only uses the five types
            raise ValueError(f"unknown column type {col.type!r}")

    mapped = None
    known = synonyms(col.code_kind) if col.enum and col.type == VARCHAR else {}
    if known:  # a synonym (compared trimmed, case-insensitive) loads as its code
        key = f"lower(trim({typed}))"
        whens = " ".join(f"when {lit(k)} then {lit(v)}" for k, v in sorted(known.items()))
        listed = ", ".join(lit(k) for k in sorted(known))
        mapped = (
            f"coalesce({typed} not in ({allowed_sql(col.enum)}) and {key} in ({listed}), false)"
        )
        typed = f"case when {typed} in ({allowed_sql(col.enum)}) then {typed} else coalesce(case {key} {whens} end, {typed}) end"
    if col.enum:
        allowed = allowed_sql(col.enum)
        checks.append(
            (
                f"{t} is not null and {t} not in ({allowed})",
                f"{label} || ': ' || {shown(t)} || ' is not one of {', '.join(col.enum)}'",
            )
        )
    if col.min is not None:
        checks.append(
            (
                f"coalesce({t} < {col.min}, false)",
                f"{label} || ': ' || {t} || ' is below the minimum {col.min}'",
            )
        )
    if col.max is not None:
        checks.append(
            (
                f"coalesce({t} > {col.max}, false)",
                f"{label} || ': ' || {t} || ' is above the maximum {col.max}'",
            )
        )
    return typed, checks, mapped


def allowed_sql(values: Sequence[str]) -> str:
    return ", ".join(lit(x) for x in values)


def _checks(
    entity: Entity, inputs: Sequence[ColumnInput]
) -> tuple[list[str], list[str], list[tuple[str, str]], list[str]]:
    """Input and typed column lists, (condition, message) checks and synonym conditions of
    ``inputs``: each column's own rules, then the entity's rules across columns."""
    s_cols, t_cols, checks, mapped_conds = [], [], [], []
    typed_of: dict[str, str] = {}
    for i, ci in enumerate(inputs):
        s, t = f"_s{i}", f"_t{i}"
        if ci.kind == STRING:
            s_cols.append(f"nullif(cast({ci.expr} as varchar), '') as {s}")
        else:
            s_cols.append(f"{ci.expr} as {s}")
        typed, col_checks, col_mapped = _rules(ci, s, t)
        t_cols.append(f"{typed} as {t}")
        typed_of[ci.column.name] = t
        checks.extend(col_checks)
        if col_mapped:
            mapped_conds.append(col_mapped)
    for rule in entity.row_rules:
        checks.append((f"coalesce({rule.condition.format(**typed_of)}, false)", lit(rule.message)))
    return s_cols, t_cols, checks, mapped_conds


def check_record(
    con: duckdb.DuckDBPyConnection, entity: Entity, record: dict[str, object]
) -> list[str]:
    """The reasons extraction would quarantine ``record`` for (empty: it is valid).

    For forms: what people type is held to the very rules a landing-zone file meets, so
    the form's message and the quarantine reason are the same words. Values are given as
    text (or None); columns left out count as empty."""
    inputs = [ColumnInput(c, q(c.name), STRING) for c in entity.columns]
    s_cols, t_cols, checks, _ = _checks(entity, inputs)
    row = {
        c.name: (None if record.get(c.name) is None else str(record[c.name]))
        for c in entity.columns
    }
    values = ", ".join(f"cast(? as varchar) as {q(name)}" for name in row)
    reasons = ", ".join(f"case when {cond} then {msg} end" for cond, msg in checks)
    sql = (
        f"with _in as (select {values}), _s as (select {', '.join(s_cols)} from _in), "
        f"_t as (select *, {', '.join(t_cols)} from _s) "
        f"select list_filter([{reasons}], lambda x: x is not null) from _t"
    )
    return list(con.execute(sql, list(row.values())).fetchone()[0])


@dataclass(frozen=True)
class Relation:
    """A relation to validate and load, with the SQL of its load metadata."""

    sql: str  # FROM clause: a registered Arrow table or a read_parquet(...)
    file: str  # SQL: path relative to the landing zone
    row_number: str  # SQL: 1-based record number
    raw_record: str  # SQL: the record as text (only evaluated for bad rows)
    extra: str = "NULL"  # SQL: JSON text of unknown columns, or NULL
    pre_reason: str = "NULL"  # SQL: problems the reader found (joined before SQL reasons)
    fatal_reason: str = "NULL"  # SQL: when not null, the record is bad for this reason only


def load_relation(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    rel: Relation,
    inputs: Sequence[ColumnInput],
    *,
    run_id: str,
    loaded_at: datetime,
    expected_rows: int,
    mapped: dict[str, int] | None = None,
) -> tuple[int, dict[str, int]]:
    """Insert the valid rows into the raw table and the others into ``dq.quarantine``.

    Returns (rows loaded, rows quarantined per file). Runs inside the caller's transaction.
    Raises when loaded + quarantined differs from ``expected_rows`` (nothing may be lost).
    ``mapped``, when given, receives per file the number of values of loaded rows that were
    synonyms mapped to their code (seed code_synonyms); files without any are left out.
    """
    s_cols, t_cols, checks, mapped_conds = _checks(entity, inputs)
    bad_any = " or ".join(f"({cond})" for cond, _ in checks) or "false"
    valid = f"_fatal is null and _pre is null and not coalesce({bad_any}, true)"
    reasons = ", ".join(f"case when {cond} then {msg} end" for cond, msg in checks)
    reason = f"coalesce(_fatal, nullif(concat_ws('; ', _pre, {reasons}), ''))"

    with_sql = (
        "with _s as (select *, "
        f"{rel.file} as _f, {rel.row_number} as _rn, {rel.extra} as _x, "
        f"{rel.pre_reason} as _pre, {rel.fatal_reason} as _fatal, "
        + ", ".join(s_cols)
        + f" from {rel.sql}), _t as (select *, "
        + ", ".join(t_cols)
        + " from _s) "
    )
    target_cols = [c.column.name for c in inputs] + [
        "_run_id",
        "_source_file",
        "_row_number",
        "_loaded_at",
        "_extra",
    ]
    select_cols = [f"_t{i}" for i in range(len(inputs))] + ["?", "_f", "_rn", "?", "_x"]
    good_sql = (
        f"insert into {RAW_SCHEMA}.{entity.table} ({', '.join(q(c) for c in target_cols)}) "
        + with_sql
        + f"select {', '.join(select_cols)} from _t where {valid}"
    )
    loaded = con.execute(good_sql, [run_id, loaded_at]).fetchone()[0]
    if mapped is not None and mapped_conds and loaded:
        count = " + ".join(f"cast({c} as integer)" for c in mapped_conds)
        mapped.update(
            con.execute(
                with_sql + f"select _f, sum({count}) as n from _t where {valid} group by _f "
                f"having sum({count}) > 0"
            ).fetchall()
        )
    if loaded == expected_rows:
        return loaded, {}

    con.execute(
        "create or replace temp table _cswh_bad as "
        + with_sql
        + f"select _f as file, _rn as row_number, {rel.raw_record} as raw_record, "
        f"{reason} as reason from _t where not ({valid})"
    )
    con.execute(
        "insert into dq.quarantine (run_id, source, entity, file, row_number, raw_record, "
        "reason, quarantined_at) select ?, ?, ?, file, row_number, raw_record, "
        "coalesce(reason, 'invalid record'), ? from _cswh_bad",
        [run_id, entity.source, entity.name, loaded_at],
    )
    bad = dict(con.execute("select file, count(*) from _cswh_bad group by file").fetchall())
    con.execute("drop table _cswh_bad")
    if loaded + sum(bad.values()) != expected_rows:
        raise RuntimeError(
            f"{entity.table}: {expected_rows} rows read but {loaded} loaded and "
            f"{sum(bad.values())} quarantined"
        )
    return loaded, bad
