"""What the serving copy leaves out, and the restricted copy that holds it.

**Left out of the serving copy** (publish.py applies it on every path: a full copy, a
partition sync, an append of new dq runs):

- every column the dbt yml marks ``meta: {pii: email|name}`` (its one home; read here from
  dbt's manifest). Staging models carry ``person_key`` beside them, which is published;
- in columns the yml marks ``meta: {free_text: true}`` (NPS comments, ticket subjects,
  notes: kept because CS needs them) every e-mail address becomes ``<email>``;
- in the dq tables' text columns, every e-mail address becomes ``<email>`` (auditors still
  see why a record failed), and ``dq.quarantine.raw_record`` of a source entity that holds
  a person's name (a staging model reading it has a ``pii: name`` column) is withheld whole
  (a name cannot be found by pattern).

**The restricted copy** (``$CSWH_RESTRICTED``, mode 0600 always, replaced atomically with the
serving copy) holds what needs a person, for the pipeline and the dashboard's process only:
``people.contacts`` (person_key, contact_id, account_id, full_name, email, role),
``people.directory`` (person_key -> email, every address the staging models resolved),
``people.opt_outs`` (email, person_key, opted_out_at) and the unredacted ``dq.quarantine`` and
``dq.check_results``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import duckdb

from dagster_project import privacy
from dagster_project.sql_text import ident, literal

PII_KINDS = ("email", "name")
WITHHELD = "<withheld: the record names a person; see the restricted copy>"
# dq tables whose text may quote a person (a quarantined row, a GX sample of values).
DQ_FULL_TEXT = (("dq", "quarantine"), ("dq", "check_results"))


def _manifest_path() -> Path:
    from dagster_project.transform.project import dbt_project

    return Path(dbt_project.manifest_path)


@cache
def _pii(manifest_path: Path, mtime: float) -> tuple[dict, dict, dict]:  # noqa: ARG001 - cache key
    """((schema, table) -> {column: kind}, (raw schema, table) -> True when a staging model
    with a ``pii: name`` column reads it, (schema, table) -> free-text columns), from the
    dbt manifest."""
    manifest = json.loads(manifest_path.read_text())
    sources = manifest.get("sources", {})
    columns: dict[tuple[str, str], dict[str, str]] = {}
    free_text: dict[tuple[str, str], set[str]] = {}
    named_sources: dict[tuple[str, str], bool] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] not in ("model", "seed", "snapshot"):
            continue
        marked = {}
        for name, column in node.get("columns", {}).items():
            meta = {
                **(column.get("meta") or {}),
                **((column.get("config") or {}).get("meta") or {}),
            }
            if meta.get("free_text"):
                free_text.setdefault(
                    (node["schema"], node.get("alias") or node["name"]), set()
                ).add(name)
            kind = meta.get("pii")
            if kind is not None:
                if kind not in PII_KINDS:
                    raise ValueError(
                        f"{node['original_file_path']}: column {name}: meta pii must be one of "
                        f"{', '.join(PII_KINDS)}, not {kind!r}"
                    )
                marked[name] = kind
        if not marked:
            continue
        columns[(node["schema"], node.get("alias") or node["name"])] = marked
        if "name" in marked.values():
            for dep in node["depends_on"]["nodes"]:
                if dep in sources:
                    named_sources[(sources[dep]["schema"], sources[dep]["identifier"])] = True
    return columns, named_sources, free_text


def _marks() -> tuple[dict, dict, dict]:
    path = _manifest_path()
    if not path.exists():
        raise FileNotFoundError(
            f"no dbt manifest at {path}: run `cswh prepare`; without it publish cannot tell "
            "which columns hold personal data"
        )
    return _pii(path, path.stat().st_mtime)


def pii_columns() -> dict[tuple[str, str], dict[str, str]]:
    """(schema, table) -> {column: 'email' | 'name'}: columns the serving copy leaves out."""
    return _marks()[0]


def personal_column_names() -> frozenset[str]:
    """Every column name marked pii anywhere (email, requester_email, full_name): the raw
    tables share them, so the quality checks keep those columns' values out of their samples
    (dq.check_results, Data Docs)."""
    return frozenset(c for marked in pii_columns().values() for c in marked)


def entities_with_names() -> set[str]:
    """Raw tables (``<source>__<entity>``) whose records hold a person's name."""
    return {table for _, table in _marks()[1]}


def free_text_columns() -> dict[tuple[str, str], set[str]]:
    """(schema, table) -> its columns marked ``meta: {free_text: true}``."""
    return _marks()[2]


def email_free(expr: str) -> str:
    """SQL: ``expr`` (text) with every e-mail address replaced by the <email> token."""
    return (
        f"regexp_replace({expr}, {literal(privacy.EMAIL_PATTERN)}, "
        f"{literal(privacy.EMAIL_TOKEN)}, 'g')"
    )


def published_select(
    key: tuple[str, str], columns: list[tuple[str, str]], source: str
) -> tuple[list[tuple[str, str]], str]:
    """The columns of ``key`` the serving copy holds and the SELECT that yields them from
    ``source`` (the warehouse catalog)."""
    left_out = pii_columns().get(key, {})
    free_text = free_text_columns().get(key, set())
    kept = [(name, dtype) for name, dtype in columns if name not in left_out]
    exprs = []
    for name, dtype in kept:
        col = ident(name)
        if name in free_text and dtype.upper() == "VARCHAR":
            exprs.append(f"{email_free(col)} as {col}")
        elif key[0] == "dq" and dtype.upper() == "VARCHAR":
            expr = email_free(col)
            if key == ("dq", "quarantine") and name == "raw_record":
                named = sorted(entities_with_names())
                if named:
                    marks = ", ".join(literal(t) for t in named)
                    expr = (
                        f"case when {ident('source')} || '__' || {ident('entity')} in ({marks}) "
                        f"and {col} is not null then {literal(WITHHELD)} else {expr} end"
                    )
            exprs.append(f"{expr} as {col}")
        else:
            exprs.append(col)
    return kept, f"select {', '.join(exprs)} from {ident(source, *key)}"


# --- the restricted copy ------------------------------------------------------------------

RESTRICTED_DDL = {
    ("people", "contacts"): (
        "select person_key, contact_id, account_id, full_name, email, role "
        "from {src}.staging.stg_crm__contacts order by contact_id"
    ),
    ("people", "opt_outs"): (
        "select email, person_key, opted_out_at from {src}.staging.stg_cs_inputs__opt_outs "
        "order by email"
    ),
}
COMMENTS = {
    ("people", "contacts"): "Customers' contacts with name and e-mail (restricted copy only).",
    ("people", "directory"): "person_key -> e-mail of every person the staging models "
    "resolved (restricted copy only): the outbox and Account 360 look people up here.",
    ("people", "opt_outs"): "People who want no automated e-mail, with their address "
    "(restricted copy only; the serving copy has person_key).",
    ("dq", "quarantine"): "dq.quarantine with the raw records unredacted (restricted copy).",
    ("dq", "check_results"): "dq.check_results with observed values unredacted (restricted copy).",
}


def _directory_sql(con: duckdb.DuckDBPyConnection, src: str) -> str | None:
    """Union of (person_key, email) over every published table with a pii email column and
    its key column (email -> person_key, requester_email -> requester_person_key)."""
    have = {
        (s, t, c)
        for s, t, c in con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = ?",
            [src],
        ).fetchall()
    }
    parts = []
    for (schema, table), marked in sorted(pii_columns().items()):
        for column, kind in sorted(marked.items()):
            key = column.replace("email", "person_key")
            if kind == "email" and (schema, table, column) in have and (schema, table, key) in have:
                parts.append(
                    f"select {ident(key)} as person_key, {ident(column)} as email "
                    f"from {ident(src, schema, table)} where {ident(key)} is not null"
                )
    if not parts:
        return None
    return f"select distinct person_key, email from ({' union all '.join(parts)}) order by 1, 2"


def write_restricted(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Write the restricted copy from the warehouse ``con`` (its current database) to a new
    file beside ``path`` (mode 0600) and return it; the caller swaps it in (os.replace)."""
    (src,) = con.execute("select current_database()").fetchone()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    for leftover in (tmp, Path(f"{tmp}.wal")):
        leftover.unlink(missing_ok=True)
    old = os.umask(0o077)  # DuckDB creates the file (and its WAL): the owner's only
    try:
        con.execute("attach ? as restricted_tmp", [str(tmp)])
    finally:
        os.umask(old)
    try:
        con.execute("create schema restricted_tmp.people")
        con.execute("create schema restricted_tmp.dq")
        tables = {k: sql.format(src=ident(src)) for k, sql in RESTRICTED_DDL.items()}
        directory = _directory_sql(con, src)
        if directory:
            tables[("people", "directory")] = directory
        for key in DQ_FULL_TEXT:
            tables[key] = f"select * from {ident(src, *key)}"
        for key, sql in tables.items():
            con.execute(f"create table {ident('restricted_tmp', *key)} as {sql}")
            con.execute(
                f"comment on table {ident('restricted_tmp', *key)} is {literal(COMMENTS[key])}"
            )
        con.execute("checkpoint restricted_tmp")
    finally:
        con.execute("detach restricted_tmp")
    os.chmod(tmp, 0o600)
    return tmp


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the restricted copy, with a message when there is none."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no restricted copy at {path}: run `cswh run` first")
    return duckdb.connect(str(path), read_only=True)
