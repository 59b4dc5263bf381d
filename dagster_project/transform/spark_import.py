"""A Spark build's published tables, brought into the DuckDB warehouse (issue 18).

``dbt run-operation export_published --target spark`` (dbt/macros/spark_export.sql) writes every
model and seed of the published schemas (publish.PUBLISHED_SCHEMAS, except publish.NOT_PUBLISHED:
passed from here as the macro's arguments, so the list keeps its one home) as Parquet under
``<dir>/<schema>/<name>/``. ``import_published`` creates each as a table of the same schema and
name in the DuckDB warehouse, so the Great Expectations suites (their cross-table checks are
DuckDB SQL) and publish run on them unchanged.

The rule for columns and types (the same tables a DuckDB build gives):

1. Order: the model's, as Spark wrote it (the SQL's order), except that Spark moves partition
   columns (``partition_by`` in the manifest) to the end: each goes back after the column its
   yml lists before it (the yml's order is not always the SQL's: 4 of 54 published tables).
2. Type: the yml's ``data_type`` where it declares one; else Spark's type mapped to the type a
   DuckDB build gives for the same SQL:
   - ``decimal(p, s)`` -> DOUBLE: Spark keeps decimal arithmetic on decimal literals and seeds
     (e.g. ``0.5 * x``, ``avg``), where DuckDB's models compute in DOUBLE;
   - ``int`` (INTEGER) and ``bigint`` (BIGINT) as they are: the project casts its counts and sums
     to BIGINT in SQL (CONTRIBUTING: never HUGEINT), so both engines give the same; except in a
     seed, whose whole-number columns dbt-spark loads as bigint and dbt-duckdb as INTEGER:
     INTEGER there (unless the seed's ``column_types`` says otherwise, which rule 2's first
     branch covers through the seed's own declared type).
   Left open: a model column computed from a seed's whole number (``sort_order``, ``sla_days``,
   ``window_days``: 20 marts columns on the tiny zone) is INTEGER on DuckDB and bigint on Spark;
   a ``data_type: integer`` in its yml makes the import cast it (rule 2's first branch). GX and
   publish do not depend on the width.
   - ``timestamp`` / ``timestamp_ntz`` -> TIMESTAMP (naive, as DuckDB's);
   - ``date``, ``boolean``, ``string`` (VARCHAR) and ``double`` as they are.
   A column computed with ``date_trunc`` is a TIMESTAMP on Spark; the models cast it to date
   themselves (macro ``month_start``), so no rule guesses it here.
3. Table and column comments: the yml's descriptions (what persist_docs writes on DuckDB).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.sql_text import ident, literal


@dataclass(frozen=True)
class Imported:
    schema: str
    name: str
    rows: int


def published_nodes(manifest_path: Path) -> list[dict]:
    """The manifest's models and seeds that publish copies (same filter as the macro)."""
    from dagster_project.publish import NOT_PUBLISHED, PUBLISHED_SCHEMAS

    manifest = json.loads(Path(manifest_path).read_text())
    return sorted(
        (
            node
            for node in manifest["nodes"].values()
            if node["resource_type"] in ("model", "seed")
            and node["schema"] in PUBLISHED_SCHEMAS
            and node["config"].get("materialized") != "ephemeral"
            and (node["schema"], node["alias"]) not in NOT_PUBLISHED
        ),
        key=lambda n: (n["schema"], n["alias"]),
    )


def export_args(export_dir: Path) -> str:
    """``--args`` of ``dbt run-operation export_published`` (YAML; JSON is YAML)."""
    from dagster_project.publish import NOT_PUBLISHED, PUBLISHED_SCHEMAS

    return json.dumps(
        {
            "dir": str(Path(export_dir).absolute()),
            "schemas": list(PUBLISHED_SCHEMAS),
            "exclude": sorted(f"{s}.{n}" for s, n in NOT_PUBLISHED),
        }
    )


def column_order(exported: list[str], documented: list[str], partition_by) -> list[str]:
    """The model's own column order (rule 1): Spark's, with each partition column (which Spark
    moves to the end) put back after the column its yml lists before it."""
    parts = [partition_by] if isinstance(partition_by, str) else list(partition_by or [])
    order = [c for c in exported if c not in parts]
    for column in [c for c in documented if c in parts and c in exported]:
        before = documented[: documented.index(column)]
        anchor = next((c for c in reversed(before) if c in order), None)
        order.insert(order.index(anchor) + 1 if anchor else 0, column)
    return order + [c for c in exported if c in parts and c not in order]


def duckdb_type(spark_parquet_type: str, seed: bool = False) -> str:
    """The DuckDB type a column read from Spark's Parquet becomes (rule 2 above)."""
    t = spark_parquet_type.upper()
    if seed and t == "BIGINT":
        return "INTEGER"
    if t.startswith("DECIMAL"):
        return "DOUBLE"
    if t.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    return t


def import_published(
    con: duckdb.DuckDBPyConnection, export_dir: Path, manifest_path: Path
) -> list[Imported]:
    """Create every exported table in the warehouse (module docstring); fail naming the table
    when Spark exported nothing for one the manifest publishes."""
    imported = []
    for node in published_nodes(manifest_path):
        schema, name = node["schema"], node["alias"]
        where = Path(export_dir) / schema / name
        files = sorted(str(p) for p in where.glob("*.parquet"))
        if not files:
            raise FileNotFoundError(
                f"Spark exported no Parquet for {schema}.{name} (expected under {where}): "
                "did the Spark build of that model fail?"
            )
        source = f"read_parquet([{', '.join(literal(f) for f in files)}], union_by_name = true)"
        found = {r[0]: r[1] for r in con.execute(f"describe select * from {source}").fetchall()}
        documented = node.get("columns", {})
        order = column_order(list(found), list(documented), node["config"].get("partition_by"))
        declared = {**node["config"].get("column_types", {})}
        declared.update({c: d["data_type"] for c, d in documented.items() if d.get("data_type")})
        seed = node["resource_type"] == "seed"
        select = ", ".join(
            f"cast({ident(c)} as {declared.get(c) or duckdb_type(found[c], seed)}) as {ident(c)}"
            for c in order
        )
        con.execute(f"create schema if not exists {ident(schema)}")
        _drop(con, schema, name)
        con.execute(f"create table {ident(schema, name)} as select {select} from {source}")
        if node.get("description"):
            con.execute(f"comment on table {ident(schema, name)} is {literal(node['description'])}")
        for c in order:
            text = (documented.get(c) or {}).get("description")
            if text:
                con.execute(
                    f"comment on column {ident(schema, name)}.{ident(c)} is {literal(text)}"
                )
        (rows,) = con.execute(f"select count(*) from {ident(schema, name)}").fetchone()
        imported.append(Imported(schema, name, rows))
    return imported


def _drop(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> None:
    """A DuckDB build left a view or a table of that name: either gives way."""
    kind = con.execute(
        "select table_type from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    if kind:
        what = "view" if kind[0][0] == "VIEW" else "table"
        con.execute(f"drop {what} {ident(schema, name)}")
