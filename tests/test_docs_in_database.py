"""Documentation where analysts look: every published table and column of the serving copy
carries its description as a DuckDB comment, every published dbt column has a Japanese label,
no description points at a document analysts do not have ("reading 23"), and dq.glossary
explains every dq column and every status value the dq tables hold.

These tests fail when someone adds a column without documenting it: that is their purpose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.dq_schema import DQ_TABLES
from dagster_project.publish import publish
from tests.support import published_tiny, query

PUBLISHED_SCHEMAS = ("marts", "dq")  # the schemas whose every table and column is documented
# "see reading 23", "readings 16, 27", "CONTRACT section 4": pointers into a document that
# analysts reading the dbt docs or the DuckDB comments do not have.
POINTER = re.compile(r"\b(readings?|sections?)\s+\d", re.IGNORECASE)


@pytest.fixture(scope="module")
def manifest() -> dict:
    path = DBT_PROJECT_DIR / "target" / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _published_models(manifest: dict) -> list[dict]:
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] in PUBLISHED_SCHEMAS
    ]


def test_every_published_model_and_column_has_a_japanese_label(manifest: dict) -> None:
    models = _published_models(manifest)
    assert {m["name"] for m in models} >= {"dim_accounts", "fct_cta_candidates", "glossary"}
    missing = [m["name"] for m in models if not m["meta"].get("label_ja")]
    for m in models:
        missing += [
            f"{m['name']}.{c['name']}"
            for c in m["columns"].values()
            if not c["meta"].get("label_ja")
        ]
    dq_source = [s for s in manifest["sources"].values() if s["source_name"] == "dq"]
    assert {s["name"] for s in dq_source} == {t.name for t in DQ_TABLES}
    for s in dq_source:
        missing += [] if s["meta"].get("label_ja") else [f"dq.{s['name']}"]
        missing += [
            f"dq.{s['name']}.{c['name']}"
            for c in s["columns"].values()
            if not c["meta"].get("label_ja")
        ]
    assert missing == [], f"no meta.label_ja: {missing}"


def test_every_column_of_a_published_model_is_documented_in_yml(manifest: dict) -> None:
    """persist_docs writes only what the yml says: a column built but not in the yml would
    reach the serving copy without a comment (the serving-copy test below catches it too,
    but only on a full run)."""
    missing = [
        f"{m['name']}.{c['name']}"
        for m in _published_models(manifest)
        for c in m["columns"].values()
        if not c["description"].strip()
    ]
    missing += [m["name"] for m in _published_models(manifest) if not m["description"].strip()]
    assert missing == []


def test_no_description_points_at_the_contract(manifest: dict) -> None:
    found = []
    nodes = [*manifest["nodes"].values(), *manifest["sources"].values()]
    for node in nodes:
        if node["resource_type"] not in ("model", "seed", "source"):
            continue
        texts = [("", node["description"])]
        texts += [(f".{c['name']}", c["description"]) for c in node["columns"].values()]
        found += [f"{node['name']}{where}: {text}" for where, text in texts if POINTER.search(text)]
    assert found == [], "\n".join(found)


def test_the_overview_is_the_dbt_docs_landing_page(manifest: dict) -> None:
    overview = manifest["docs"]["doc.cswh.__overview__"]["block_contents"]
    for text in ("serving copy", "dq.glossary", "docs/cookbook.md", "## Cookbook"):
        assert text in overview


def _warehouse_with_comments(path: Path, comment: str) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.t as select 1 as a, 2 as b")
        con.execute(f"comment on table marts.t is '{comment}'")
        con.execute(f"comment on column marts.t.a is 'a: {comment}'")
        con.execute("comment on column marts.t.b is 'b'")
    finally:
        con.close()


def _comments(db: Path) -> dict[str, str | None]:
    tables = query(
        db, "select table_name, comment from duckdb_tables() where schema_name = 'marts'"
    )
    columns = query(
        db,
        "select table_name || '.' || column_name, comment from duckdb_columns() "
        "where schema_name = 'marts'",
    )
    return dict(tables + columns)


def test_publish_carries_the_warehouse_comments_into_the_serving_copy(tmp_path: Path) -> None:
    """The serving copy is written with `create table ... as select` (which drops comments)
    into a file that starts as the previous copy (which keeps old ones): publish writes the
    warehouse's comments after the copy, so a changed description reaches analysts."""
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "s.duckdb"
    _warehouse_with_comments(warehouse, "first")
    publish(warehouse, serving)
    assert _comments(serving) == {"t": "first", "t.a": "a: first", "t.b": "b"}

    _warehouse_with_comments(warehouse, "second")  # same rows: the table is not copied again
    publish(warehouse, serving)
    assert _comments(serving) == {"t": "second", "t.a": "a: second", "t.b": "b"}


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> Path:
    return published_tiny(tmp_path_factory, tiny_zone).serving


@pytest.mark.slow
def test_every_published_table_and_column_of_the_serving_copy_has_a_comment(
    serving: Path,
) -> None:
    marks = ", ".join(f"'{s}'" for s in PUBLISHED_SCHEMAS)
    tables = query(
        serving,
        f"select schema_name, table_name, comment from duckdb_tables() where schema_name in ({marks})",
    )
    columns = query(
        serving,
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        f"where schema_name in ({marks})",
    )
    assert {s for s, _, _ in tables} == set(PUBLISHED_SCHEMAS)
    assert len(columns) > 200
    bare = [f"{s}.{t}" for s, t, c in tables if not (c or "").strip()]
    bare += [f"{s}.{t}.{col}" for s, t, col, c in columns if not (c or "").strip()]
    assert bare == [], f"no comment in the serving copy: {bare}"
    # the text is dbt's description, written out (not a pointer into the contract)
    (comment,) = query(
        serving,
        "select comment from duckdb_columns() where schema_name = 'marts' "
        "and table_name = 'mart_kpi_monthly' and column_name = 'renewals_due'",
    )[0]
    assert "end_date is in the month" in comment and not POINTER.search(comment)


@pytest.mark.slow
def test_the_glossary_explains_every_dq_column_and_every_status_value(serving: Path) -> None:
    glossary = query(
        serving,
        "select entry_kind, table_name, column_name, code_value, meaning from dq.glossary "
        "order by sort_order",
    )
    columns = {(t, c) for kind, t, c, _, _ in glossary if kind == "column"}
    values = {(t, c, v) for kind, t, c, v, _ in glossary if kind == "value"}
    assert all(meaning for *_, meaning in glossary)
    in_serving = query(
        serving,
        "select 'dq.' || table_name, column_name from duckdb_columns() where schema_name = 'dq'",
    )
    assert set(in_serving) - columns == set(), "dq columns missing from dq.glossary"
    held = [
        ("dq.load_manifest", "status", "select distinct status from dq.load_manifest"),
        ("dq.check_results", "severity", "select distinct severity from dq.check_results"),
        (
            "dq.check_results",
            "success",
            "select distinct lower(cast(success as varchar)) from dq.check_results",
        ),
    ]
    for table, column, sql in held:
        seen = {v for (v,) in query(serving, sql) if v is not None}
        assert seen, f"{table}.{column}: the demo run should hold values"
        assert {(table, column, v) for v in seen} <= values, f"{table}.{column}: {seen}"
    kinds = {v for t, c, v in values if (t, c) == ("dq.glossary", "entry_kind")}
    assert kinds == {kind for kind, *_ in glossary}


@pytest.mark.slow
def test_every_marts_column_has_its_japanese_name_in_the_serving_copy(serving: Path) -> None:
    """marts.dim_columns carries meta.label_ja into the serving copy, where a dashboard or an
    analyst's tool can show Japanese headers: one named row for every table and column."""
    unnamed = query(
        serving,
        "select c.table_name, c.column_name from duckdb_columns() as c "
        "left join marts.dim_columns as d on d.table_name = 'marts.' || c.table_name "
        "and d.column_name = c.column_name "
        "where c.schema_name = 'marts' and coalesce(d.label_ja, '') = ''",
    )
    assert unnamed == []
    (label,) = query(
        serving,
        "select label_ja from marts.dim_columns "
        "where table_name = 'marts.dim_accounts' and column_name = 'csm_owner'",
    )[0]
    assert label == "担当CSM"
