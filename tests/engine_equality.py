"""Do two serving copies hold the same marts? The two-engine test's comparison (issue 18).

Every table of the `marts` schema is compared: the same tables, the same column names in
the same order, the same types, and the same rows matched on the table's key (its
dbt `unique` / `unique_combination` / `unique_key` test in the manifest). Keys, integers,
text, booleans, dates and decimals must be equal; doubles may differ by 1e-9 relative to
their size (at least 1e-9 absolute): Spark adds partial sums in another order than DuckDB,
which moves the last bits of a double and nothing else.

Columns that say *when* or *in which run* a row was built differ between any two runs, on one
engine too (a second DuckDB run of the same zone differs there), and a `_` column says how a
row was built (its load time, the hash of the seeds' text, which Spark renders otherwise):
those are compared for presence and type, not value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.sql_text import ident, literal

# Written from the run's clock or id, not from the data (checked: two DuckDB runs of the
# same zone differ in exactly these and in `_` columns).
RUN_DEPENDENT = frozenset({"raised_at", "raised_in_run_id"})


def bookkeeping(column: str) -> bool:
    """A `_` column records how a row was built (when, from which loads, the hash of the
    seeds' text it was scored with), not what it says: compared for presence and type only."""
    return column.startswith("_") or column in RUN_DEPENDENT


KEY_TESTS = ("unique", "unique_combination", "unique_key")
FLOAT_TOLERANCE = 1e-9


def family(data_type: str) -> str:
    """The type family a value is compared in (how, not whether, two values are equal)."""
    t = data_type.upper()
    if t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT") or t.startswith("UINT"):
        return "integer"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return "double"
    if t.startswith("DECIMAL"):
        return "decimal"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t in ("VARCHAR", "TEXT", "STRING"):
        return "text"
    return t.lower()


def model_keys(manifest: Path) -> dict[str, list[str]]:
    """model name -> its key columns, from the dbt tests that declare one."""
    nodes = json.loads(manifest.read_text())["nodes"].values()
    keys: dict[str, list[str]] = {}
    for node in nodes:
        meta = node.get("test_metadata") or {}
        if node["resource_type"] != "test" or meta.get("name") not in KEY_TESTS:
            continue
        model = (node.get("attached_node") or "").rsplit(".", 1)[-1]
        kwargs = meta.get("kwargs", {})
        columns = kwargs.get("columns") or [kwargs.get("column_name")]
        if model and all(columns):
            keys.setdefault(model, list(columns))
    return keys


@dataclass(frozen=True)
class Difference:
    table: str
    problem: str

    def __str__(self) -> str:
        return f"marts.{self.table}: {self.problem}"


def _columns(con: duckdb.DuckDBPyConnection, db: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' and table_name = ? "
        "order by ordinal_position",
        [db, table],
    ).fetchall()


def _tables(con: duckdb.DuckDBPyConnection, db: str) -> list[str]:
    rows = con.execute(
        "select table_name from information_schema.tables "
        "where table_catalog = ? and table_schema = 'marts' order by table_name",
        [db],
    ).fetchall()
    return [r[0] for r in rows]


def _differs(column: str, kind: str) -> str:
    a, b = f"a.{ident(column)}", f"b.{ident(column)}"
    if kind == "double":
        # 1e-9 (relative above 1), plus a millionth of it: a difference of exactly one unit
        # in the 9th decimal (the models round scores to 9 decimals) comes out a hair above
        # 1e-9 once both sides are binary doubles.
        return (
            f"not ({a} is not distinct from {b} or abs({a} - {b}) <= "
            f"{FLOAT_TOLERANCE * (1 + 1e-6)} * greatest(1, abs({a}), abs({b})))"
        )
    return f"{a} is distinct from {b}"


def compare_table(
    con: duckdb.DuckDBPyConnection, table: str, key: list[str] | None
) -> Difference | None:
    """The first difference between `duck.marts.<table>` and `spark.marts.<table>`."""
    left, right = _columns(con, "duck", table), _columns(con, "spark", table)
    names_l, names_r = [c for c, _ in left], [c for c, _ in right]
    if names_l != names_r:
        return Difference(table, f"columns differ:\n  duckdb {names_l}\n  spark  {names_r}")
    kinds = {c: family(t) for c, t in left}
    for (column, t_l), (_, t_r) in zip(left, right, strict=True):
        if t_l != t_r:
            return Difference(table, f"column {column}: type {t_l} vs {t_r}")
    compared = [c for c in names_l if not bookkeeping(c)]
    counts = [
        con.execute(f"select count(*) from {side}.marts.{ident(table)}").fetchone()[0]
        for side in ("duck", "spark")
    ]
    if counts[0] != counts[1]:
        return Difference(table, f"{counts[0]} rows on DuckDB, {counts[1]} on Spark")
    order = ", ".join(
        f"round({ident(c)}, 6)" if kinds[c] == "double" else ident(c) for c in compared
    )
    # Each side with a marker (a key column may itself be null) and, for tables without a
    # unique key, a row number in a canonical order (doubles rounded for the order only).
    rel = {
        side: f"(select *, true as _present, row_number() over (order by {order} nulls last) "
        f"as _n from {side}.marts.{ident(table)})"
        for side in ("duck", "spark")
    }
    if not (key and all(_unique(con, f"{s}.marts.{ident(table)}", key) for s in ("duck", "spark"))):
        key = ["_n"]
    on = " and ".join(f"a.{ident(k)} is not distinct from b.{ident(k)}" for k in key)
    sources = f"{rel['duck']} a full outer join {rel['spark']} b on {on}"
    shown = key if key != ["_n"] else compared[:3]
    missing = "a._present is null or b._present is null"
    for column in compared:
        row = con.execute(
            f"select {', '.join(f'coalesce(a.{ident(k)}, b.{ident(k)})' for k in shown)}, "
            f"a.{ident(column)}, b.{ident(column)}, "
            f"({missing}) as unmatched, "
            f"count(*) over () as n "
            f"from {sources} where ({missing}) or {_differs(column, kinds[column])} "
            f"order by all limit 1"
        ).fetchone()
        if row is None:
            continue
        *key_values, a_value, b_value, unmatched, n = row
        where = ", ".join(f"{k}={v!r}" for k, v in zip(shown, key_values, strict=True))
        if unmatched:
            return Difference(table, f"{n} row(s) on one engine only, first at {where}")
        return Difference(
            table,
            f"{n} row(s) differ in {column}, first at {where}: duckdb {a_value!r}, spark {b_value!r}",
        )
    return None


def _unique(con: duckdb.DuckDBPyConnection, relation: str, key: list[str]) -> bool:
    cols = ", ".join(ident(k) for k in key)
    total, distinct = con.execute(
        f"select count(*), count(distinct ({cols})) from {relation}"
    ).fetchone()
    return total == distinct


def compare_serving(
    duckdb_copy: Path, spark_copy: Path, manifest: Path
) -> dict[str, Difference | None]:
    """table -> its first difference (None: equal), for every mart of either copy."""
    keys = model_keys(manifest)
    con = duckdb.connect()
    try:
        con.execute(f"attach {literal(str(duckdb_copy))} as duck (read_only)")
        con.execute(f"attach {literal(str(spark_copy))} as spark (read_only)")
        tables_l, tables_r = _tables(con, "duck"), _tables(con, "spark")
        result: dict[str, Difference | None] = {}
        for table in sorted(set(tables_l) | set(tables_r)):
            if table not in tables_r:
                result[table] = Difference(table, "missing from the Spark build's serving copy")
            elif table not in tables_l:
                result[table] = Difference(table, "missing from the DuckDB build's serving copy")
            else:
                result[table] = compare_table(con, table, keys.get(table))
        return result
    finally:
        con.close()
