"""Data access for the pages: the serving copy only, read-only, briefly, parameterised.

The pipeline replaces ``$CSWH_SERVING`` atomically (``os.replace``), and DuckDB locks the
whole file while it is open, so every query opens the file read-only, runs, and closes it
at once; nothing holds a connection between reruns. Results are cached with
``st.cache_data`` under the file's version — its (inode, mtime, size), which every publish
changes — so a new publish shows on the next rerun without restarting the app, and an
unchanged copy is not re-read.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dagster_project.config import Settings

Version = tuple[int, int, int]


def serving_path() -> Path:
    """``$CSWH_SERVING`` (absolute; relative values resolve against the repository)."""
    return Settings.from_env().serving


def app_db_path() -> Path:
    return Settings.from_env().app_db


def docs_dir() -> Path:
    return Settings.from_env().docs_dir


def version(path: Path | None = None) -> Version | None:
    """The serving copy's identity: changes whenever a new copy is published."""
    try:
        st_ = os.stat(path or serving_path())
    except FileNotFoundError:
        return None
    return (st_.st_ino, st_.st_mtime_ns, st_.st_size)


class ServingMissing(RuntimeError):
    """The serving copy has not been published yet."""


# One connection at a time in this process. DuckDB keeps one database instance per path
# while any connection to it is open; a connection opened after a publish while another
# session still held the old file would be handed the OLD instance and cache stale rows
# under the new version. Queries here take milliseconds, so serialising them costs nothing.
_CONNECT = threading.Lock()


@st.cache_data(show_spinner=False, max_entries=512)
def _run(path: str, ver: Version, sql: str, params: tuple) -> pd.DataFrame:
    del ver  # part of the cache key only
    with _CONNECT:
        con = duckdb.connect(path, read_only=True)
        try:
            return con.execute(sql, list(params)).fetchdf()
        finally:
            con.close()


def query(sql: str, params: tuple | list = ()) -> pd.DataFrame:
    """Run one parameterised, read-only query on the current serving copy (cached)."""
    path = serving_path()
    ver = version(path)
    if ver is None:
        raise ServingMissing(str(path))
    return _run(str(path), ver, sql, tuple(params)).copy()


def restricted_path() -> Path:
    """``$CSWH_RESTRICTED``: the restricted copy (contacts' names and e-mails, SECURITY.md).
    Only this process and the pipeline can open it (mode 0600); a page reads it only where
    a person is needed."""
    return Settings.from_env().restricted


class RestrictedMissing(RuntimeError):
    """No restricted copy (not published yet, or this process may not read it)."""


def people_query(sql: str, params: tuple | list = ()) -> pd.DataFrame:
    """One parameterised, read-only query on the restricted copy (cached like ``query``)."""
    path = restricted_path()
    ver = version(path)
    if ver is None or not os.access(path, os.R_OK):
        raise RestrictedMissing(str(path))
    return _run(str(path), ver, sql, tuple(params)).copy()


def scalar(sql: str, params: tuple | list = ()):
    df = query(sql, params)
    return None if df.empty else df.iloc[0, 0]


def tables() -> set[str]:
    """Every ``schema.table`` in the serving copy."""
    df = query("select schema_name || '.' || table_name as t from duckdb_tables()")
    return set(df["t"])


def columns(table: str) -> list[str]:
    schema, name = table.split(".", 1)
    df = query(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ?"
        " order by column_index",
        (schema, name),
    )
    return list(df["column_name"])


def ident(name: str, allowed: set[str] | list[str]) -> str:
    """Quote a table or column name after checking it against what the catalog holds.

    Values always go through parameters; names cannot, so they are only ever taken from
    the serving copy's own catalog (never from user input) and quoted.
    """
    if name not in allowed:
        raise ValueError(f"unknown name {name!r}")
    return ".".join(f'"{part}"' for part in name.split("."))


def has_column(table: str, column: str) -> bool:
    """Whether the serving copy's ``table`` has ``column`` (an older copy may lack it)."""
    return table in tables() and column in columns(table)


@dataclass(frozen=True)
class Publication:
    run_id: str | None
    published_at: object | None
    as_of_date: object | None
    seeds_hash: str | None = None  # the seed version it was built with (None: not recorded)


def publications() -> pd.DataFrame:
    """Every row of dq.publish_log, newest first; ``seeds_hash`` is null where not recorded."""
    if "dq.publish_log" not in tables():
        return pd.DataFrame(columns=["run_id", "published_at", "as_of_date", "seeds_hash"])
    seeds = "seeds_hash" if has_column("dq.publish_log", "seeds_hash") else "null"
    return query(
        f"select run_id, published_at, as_of_date, cast({seeds} as varchar) as seeds_hash"
        " from dq.publish_log order by published_at desc"
    )


def publication() -> Publication:
    """The latest row of dq.publish_log (what the serving copy holds, as of when)."""
    df = publications()
    if df.empty:
        return Publication(None, None, None)
    row = df.iloc[0]
    seeds = None if pd.isna(row["seeds_hash"]) else str(row["seeds_hash"])
    return Publication(row["run_id"], row["published_at"], row["as_of_date"], seeds)


def as_of_date():
    """D: the publish log's as-of date, else the latest health snapshot."""
    pub = publication()
    if pub.as_of_date is not None and not pd.isna(pub.as_of_date):
        return pd.Timestamp(pub.as_of_date).date()
    if "marts.fct_account_health" in tables():
        value = scalar("select max(snapshot_date) from marts.fct_account_health")
        if value is not None and not pd.isna(value):
            return pd.Timestamp(value).date()
    return None


LABELS_TABLE = "marts.dim_code_labels"


def code_labels(code_kind: str) -> dict[str, tuple[str, str]]:
    """code -> (label_ja, label_en) of one code_kind of ``marts.dim_code_labels`` (seed
    code_labels as published: the one home of every code value's labels), in its sort
    order. Empty when the copy does not hold the table (an older publish)."""
    if LABELS_TABLE not in tables():
        return {}
    df = query(
        f"select code, label_ja, label_en from {LABELS_TABLE} where code_kind = ? "
        "order by sort_order, code",
        (code_kind,),
    )
    return {str(c): (ja, en) for c, ja, en in df.itertuples(index=False)}


def label(code_kind: str, code, *, with_code: bool = False) -> str:
    """The Japanese label of ``code`` ("高"; ``with_code``: "高 (high)"); the code itself
    when it has none, and "–" for a missing value. The one way a page names a code value."""
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return "–"
    found = code_labels(code_kind).get(str(code))
    if found is None:
        return str(code)
    return f"{found[0]} ({code})" if with_code else str(found[0])


def label_column(values: pd.Series, code_kind: str, *, with_code: bool = False) -> pd.Series:
    """``label`` over a column of codes (for tables and chart axes)."""
    return values.map(lambda v: label(code_kind, v, with_code=with_code))


def health_tiers() -> pd.DataFrame:
    """tier, label_ja, colour, sort_order, counts_as_at_risk of seed health_tiers as published
    (schema seeds of the serving copy: the tiers' colours and what counts as at risk), with
    the Japanese label from marts.dim_code_labels, best tier first. Empty when the copy does
    not hold the seed; a column the copy lacks is null (label_ja then falls back to the code
    in ``page_kit.tier_palette``)."""
    wanted = ["tier", "colour", "sort_order", "counts_as_at_risk"]
    if "seeds.health_tiers" not in tables():
        return pd.DataFrame(columns=["tier", "label_ja", *wanted[1:]])
    present = set(columns("seeds.health_tiers"))
    select = ", ".join(c if c in present else f"null as {c}" for c in wanted)
    tiers = query(f"select {select} from seeds.health_tiers order by sort_order, tier")
    labels = code_labels("health_tier")
    tiers.insert(1, "label_ja", [labels.get(str(t), (None, None))[0] for t in tiers["tier"]])
    return tiers


def health_dimensions() -> list[tuple[str, str]]:
    """(score column, label) of each DEAR dimension of seed health_dimensions as published,
    in its sort order: ``deployment_score``, "Deployment / 導入" (labels from
    marts.dim_code_labels; the code where there is none). Without the seed in the copy, the
    ``<dimension>_score`` columns of fct_account_health, labelled by their code."""
    if "seeds.health_dimensions" in tables():
        present = set(columns("seeds.health_dimensions"))
        order = "sort_order, dimension" if "sort_order" in present else "dimension"
        df = query(f"select dimension from seeds.health_dimensions order by {order}")
        labels = code_labels("health_dimension")
        out = []
        for d in df["dimension"]:
            ja, en = labels.get(str(d), (d, d))
            out.append((f"{d}_score", f"{en} / {ja}"))
        return out
    if "marts.fct_account_health" not in tables():
        return []
    return [
        (c, c.removesuffix("_score"))
        for c in columns("marts.fct_account_health")
        if c.endswith("_score") and c != "health_score"
    ]
