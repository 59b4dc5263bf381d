"""The serving copy: what analysts, the dashboard and auditors read.

DuckDB locks the whole file, so readers never open the working warehouse. After a good
build the published schemas are written into a new file next to the serving path, which
is then swapped in with ``os.replace`` (atomic on POSIX): a reader sees either the old
copy or the new one, never a half-written file, and never meets the pipeline's lock.

A daily publish must not cost more as the history grows (CONTRACT section 10): the new
file starts as a byte copy of the previous publication (never written in place, so its
bytes are stable while readers hold it), and only what changed is written into it: the
snapshot dates a health history build rewrote, the weeks of usage recomputed, the runs
appended to the dq tables, and tables whose content differs. Anything that does not line
up (no previous copy, other columns) is copied whole, so the result is always the same
as a full copy.

Customers' personal data stays out of it (restricted.py, SECURITY.md): columns the dbt yml
marks ``meta: {pii: ...}`` are left out and the dq tables' text has its e-mail addresses
replaced, on every path (full copy, partitions, appended runs), because every path reads the
warehouse through the same published SELECT. What needs a person goes to the restricted copy,
written beside it and swapped in after it. Both files are created readable by their owner
only (privacy.file_mode(); the restricted copy 0600 always).

The serving copy is written in DuckDB storage format ``SERVING_STORAGE_VERSION``, which the
analysts' own 1.x clients (the DuckDB CLI, DBeaver) read; the warehouse keeps 2.0's format.
"""

import glob
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from dagster_project import privacy, restricted
from dagster_project.config import duckdb_config
from dagster_project.dq_schema import ensure_dq
from dagster_project.sql_text import ident, literal

# Schemas an analyst or the dashboard reads. `staging` is published as tables so that
# analysts can trace a mart back to its typed, deduplicated source rows.
PUBLISHED_SCHEMAS = ("marts", "dq", "staging", "seeds")
# Too large to duplicate (one row per user, feature and day); analysts use fct_usage_weekly.
NOT_PUBLISHED = {("staging", "stg_usage__daily")}
# Append-only audit tables: a publish appends the runs the previous copy does not have.
APPEND_ONLY = {
    ("dq", "load_manifest"): "run_id",
    ("dq", "quarantine"): "run_id",
    ("dq", "check_results"): "run_id",
}
# Incremental usage mart: rewritten week by week (the _built_at of the build that wrote it tells).
USAGE_WEEKS = {("marts", "fct_usage_weekly"): ("week_start", "_built_at")}
# DuckDB 2.0 writes format v2.0.0 (file version 69) unless told otherwise, and every 1.x client
# refuses it. v1.5.0 is the newest format the released 1.x clients read (DuckDB >= 1.5.0).
# A file keeps the format it was created in, so the byte copy each publish starts from does.
SERVING_STORAGE_VERSION = "v1.5.0"


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: int
    rows: int
    tables_rewritten: int = 0  # tables written whole (the rest: unchanged or in part)


def seeds_hash(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> str | None:
    """md5 of every seed table's rows (order-independent): the configuration version a
    run scored and routed with, recorded in dq.publish_log."""
    where = "table_schema = 'seeds'" + (
        f" and table_catalog = {literal(catalog)}"
        if catalog
        else " and table_catalog = current_database()"
    )
    names = [
        r[0]
        for r in con.execute(
            f"select table_name from information_schema.tables where {where} order by 1"
        ).fetchall()
    ]
    if not names:
        return None
    parts = " || '|' || ".join(
        f"(select coalesce(string_agg(md5(cast(t as varchar)), ',' order by md5(cast(t as varchar))), '') "
        f"from {ident(*([catalog] if catalog else []), 'seeds', n)} as t)"
        for n in names
    )
    return con.execute(f"select md5({parts})").fetchone()[0]


def record_publication(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: date | str | None,
    catalog: str | None = None,
    published_at: datetime | None = None,
    seeds: str | None = None,
) -> None:
    """Append to ``dq.publish_log`` (of ``catalog``, default the connection's database)."""
    table = ident(catalog, "dq", "publish_log") if catalog else "dq.publish_log"
    ensure_dq(con, catalog)  # an older log gains seeds_hash here
    con.execute(
        f"insert into {table} (run_id, published_at, as_of_date, seeds_hash) values (?, ?, ?, ?)",
        [run_id, published_at or datetime.now(UTC).replace(tzinfo=None), as_of, seeds],
    )


def _history_partitions() -> dict[tuple[str, str], tuple[str, str]]:
    """Tables synchronised by partition: (partition column, the column whose newest value
    changes when a partition is rewritten)."""
    from dagster_project.transform.project import history_models

    history = {("marts", name): ("snapshot_date", "_built_at") for name in history_models()}
    return {**history, **USAGE_WEEKS}


def publish(
    warehouse: Path,
    serving: Path,
    run_id: str | None = None,
    as_of: date | str | None = None,
    restricted_path: Path | None = None,
) -> Publication:
    """Write the published schemas of ``warehouse`` to ``serving``, atomically, and (with
    ``restricted_path``) the restricted copy, swapped in right after it.

    With ``run_id``, the publication is logged in ``dq.publish_log``: first in the new copy
    (before the swap), then in the warehouse (after it), so a publish killed mid-copy never
    appears in the log as published (the next copy takes the log from the warehouse)."""
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(f".{serving.name}.{os.getpid()}.tmp")
    # A publish killed mid-copy leaves its half-written file (named after its pid) behind.
    # Only one run publishes at a time (the warehouse lock), so every such file is garbage.
    for leftover in serving.parent.glob(f".{glob.escape(serving.name)}.*.tmp*"):
        leftover.unlink(missing_ok=True)
    if serving.exists():
        shutil.copyfile(serving, tmp)  # the previous publication: the new one starts from it
    con = duckdb.connect(str(warehouse), config=duckdb_config())
    people = None
    try:
        if tmp.exists() and storage_version(con, tmp) != SERVING_STORAGE_VERSION:
            # Published by an older cswh in 2.0's format, which cannot be lowered in place:
            # this publication is written whole, in the readable format.
            tmp.unlink()
        con.execute(  # a path is a value, not SQL
            f"attach ? as serving_tmp (storage_version {literal(SERVING_STORAGE_VERSION)})",
            [str(tmp)],
        )
        tables, rows, rewritten = _sync(con, "serving_tmp")
        published_at = datetime.now(UTC).replace(tzinfo=None)
        seeds = seeds_hash(con)
        if run_id is not None:
            record_publication(
                con, run_id, as_of, catalog="serving_tmp", published_at=published_at, seeds=seeds
            )
        con.execute("checkpoint serving_tmp")
        con.execute("detach serving_tmp")
        if restricted_path is not None:
            people = restricted.write_restricted(con, Path(restricted_path))
        con.close()
        privacy.restrict(tmp)  # os.replace keeps the file's mode
        _fsync(tmp)
        if people is not None:
            _fsync(people)
        os.replace(tmp, serving)
        if people is not None:
            os.replace(people, restricted_path)
    except BaseException:
        con.close()
        for leftover in (
            tmp,
            Path(f"{tmp}.wal"),
            people,
            Path(f"{people}.wal") if people else None,
        ):
            if leftover is not None:
                leftover.unlink(missing_ok=True)
        raise
    _fsync(serving.parent)
    if run_id is not None:
        con = duckdb.connect(str(warehouse), config=duckdb_config())
        try:
            record_publication(con, run_id, as_of, published_at=published_at, seeds=seeds)
        finally:
            con.close()
    return Publication(serving, tables, rows, rewritten)


def storage_version(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The DuckDB storage format ``path`` is written in, e.g. 'v1.5.0'."""
    con.execute("attach ? as storage_probe (read_only)", [str(path)])
    try:
        (tag,) = con.execute(
            "select tags['storage_version'] from duckdb_databases() "
            "where database_name = 'storage_probe'"
        ).fetchone()
    finally:
        con.execute("detach storage_probe")
    return tag.removesuffix("+")  # DuckDB tags it 'v1.5.0+': this format and later readers


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[tuple[str, str], list]:
    """(schema, table) -> its columns and types, of the published schemas of ``catalog``."""
    found: dict[tuple[str, str], list] = {}
    for schema, name, column, dtype in con.execute(
        "select c.table_schema, c.table_name, c.column_name, c.data_type "
        "from information_schema.columns c where c.table_catalog = ? and c.table_schema in "
        f"({', '.join('?' for _ in PUBLISHED_SCHEMAS)}) order by 1, 2, c.ordinal_position",
        [catalog, *PUBLISHED_SCHEMAS],
    ).fetchall():
        found.setdefault((schema, name), []).append((column, dtype))
    return found


def _sync(con: duckdb.DuckDBPyConnection, target: str) -> tuple[int, int, int]:
    """Make the published schemas of ``target`` equal those of the warehouse, writing only
    what differs. Returns (tables, rows, tables written whole)."""
    (source,) = con.execute("select current_database()").fetchone()
    wanted, views = {}, {}
    for key, columns in _tables(con, source).items():
        if key in NOT_PUBLISHED:
            continue
        # Every path below reads the warehouse through this view: what it leaves out (personal
        # data, restricted.py) is left out of a full copy, a partition and an appended run alike.
        wanted[key], select = restricted.published_select(key, columns, source)
        views[key] = ident(f"published__{key[0]}__{key[1]}")
        con.execute(f"create or replace temp view {views[key]} as {select}")
    present = _tables(con, target)
    partitions = _history_partitions()
    for schema in PUBLISHED_SCHEMAS:
        con.execute(f"create schema if not exists {ident(target, schema)}")
    for key in sorted(set(present) - set(wanted)):
        con.execute(f"drop table if exists {ident(target, *key)}")
    rows = rewritten = 0
    for key, columns in sorted(wanted.items()):
        src, dst = views[key], ident(target, *key)
        same_shape = present.get(key) == columns
        names = {name for name, _ in columns}
        if same_shape and key in partitions and set(partitions[key]) <= names:
            _sync_partitions(con, src, dst, *partitions[key])
        elif same_shape and key in APPEND_ONLY:
            _append_new_runs(con, src, dst, APPEND_ONLY[key])
        elif not same_shape or _signature(con, src) != _signature(con, dst):
            con.execute(f"create or replace table {dst} as select * from {src}")
            rewritten += 1
        rows += con.execute(f"select count(*) from {dst}").fetchone()[0]
    for view in views.values():
        con.execute(f"drop view if exists {view}")
    _sync_comments(con, source, target, wanted)
    return len(wanted), rows, rewritten


def _comments(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[tuple, str | None]:
    """(schema, table) -> table comment and (schema, table, column) -> column comment, for
    the published schemas of ``catalog``."""
    marks = ", ".join("?" for _ in PUBLISHED_SCHEMAS)
    found: dict[tuple, str | None] = {}
    for schema, table, comment in con.execute(
        "select schema_name, table_name, comment from duckdb_tables() "
        f"where database_name = ? and schema_name in ({marks})",
        [catalog, *PUBLISHED_SCHEMAS],
    ).fetchall():
        found[(schema, table)] = comment
    for schema, table, column, comment in con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns() "
        f"where database_name = ? and schema_name in ({marks})",
        [catalog, *PUBLISHED_SCHEMAS],
    ).fetchall():
        found[(schema, table, column)] = comment
    return found


def _sync_comments(
    con: duckdb.DuckDBPyConnection, source: str, target: str, tables: dict[tuple[str, str], list]
) -> None:
    """Give the published tables and columns of ``target`` the warehouse's comments (dbt's
    descriptions through persist_docs, dq_schema.py's for the dq tables): one source, the
    warehouse. ``create table ... as select`` does not copy comments, and a table kept from
    the previous copy keeps its old ones, so only the comments that differ are written."""
    published = {(*key, name) for key, columns in tables.items() for name, _ in columns}
    want = {
        k: v
        for k, v in _comments(con, source).items()
        if k[:2] in tables and (len(k) == 2 or k in published)
    }
    have = _comments(con, target)
    for key, text in sorted(want.items()):
        if have.get(key) == text:
            continue
        what = "table" if len(key) == 2 else "column"
        name = f"{ident(target, *key[:2])}" + (f".{ident(key[2])}" if len(key) == 3 else "")
        con.execute(f"comment on {what} {name} is {'null' if text is None else literal(text)}")


def _signature(con: duckdb.DuckDBPyConnection, table: str) -> tuple:
    """Row count and an order-independent hash of every row."""
    return con.execute(f"select count(*), sum(hash(t)) from {table} as t").fetchone()


def _sync_partitions(con, src: str, dst: str, column: str, version: str) -> None:
    """Rewrite the partitions whose rows differ: another row count or a newer `version`."""
    col, ver = ident(column), ident(version)
    changed = con.execute(
        f"select coalesce(w.p, s.p) "
        f"from (select {col} as p, count(*) as n, max({ver}) as v from {src} group by 1) as w "
        f"full outer join (select {col} as p, count(*) as n, max({ver}) as v from {dst} group by 1) as s "
        "on w.p = s.p where w.n is distinct from s.n or w.v is distinct from s.v"
    ).fetchall()
    if not changed:
        return
    con.execute("create or replace temp table changed_partitions (p date)")
    con.executemany("insert into changed_partitions values (?)", changed)
    con.execute(f"delete from {dst} where {col} in (select p from changed_partitions)")
    con.execute(
        f"insert into {dst} select * from {src} where {col} in (select p from changed_partitions)"
    )


def _append_new_runs(con, src: str, dst: str, run_column: str) -> None:
    """Append the runs ``dst`` does not have yet; copy whole if it has rows ``src`` lacks."""
    run = ident(run_column)
    con.execute(
        f"insert into {dst} select * from {src} where {run} is distinct from null "
        f"and {run} not in (select distinct {run} from {dst} where {run} is not null)"
    )
    if _signature(con, src) != _signature(con, dst):
        con.execute(f"create or replace table {dst} as select * from {src}")


def headline(serving: Path) -> dict:
    """What CS Ops want to see on the publish materialization: open CTAs, at-risk accounts
    at D and a preview of this month's KPIs (read from the new copy, which nothing locks)."""
    import dagster as dg

    con = duckdb.connect(str(serving), read_only=True)
    try:
        (open_ctas,) = con.execute(
            "select count(*) from marts.fct_cta_candidates where status = 'open'"
        ).fetchone()
        (at_risk,) = con.execute(
            "select count(*) from marts.fct_account_health "
            "where snapshot_date = (select max(snapshot_date) from marts.fct_account_health) "
            "and health_tier in ('at_risk', 'critical')"
        ).fetchone()
        kpis = con.execute(
            "select segment, active_customers, renewal_rate, avg_health_score, at_risk_accounts, "
            "reaction_rate, nps, ctas_raised from marts.mart_kpi_monthly "
            "where month = (select max(month) from marts.mart_kpi_monthly) order by segment"
        ).fetchall()
    except duckdb.Error:  # a partial build (e.g. `--select`) may lack a mart
        return {}
    finally:
        con.close()
    header = "| segment | active | renewal rate | avg health | at risk | reaction | NPS | CTAs |"
    rows = [
        "| "
        + " | ".join("" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v) for v in r)
        + " |"
        for r in kpis
    ]
    return {
        "open_ctas": int(open_ctas),
        "at_risk_accounts": int(at_risk),
        "kpi_this_month": dg.MetadataValue.md("\n".join([header, "|---" * 8 + "|", *rows])),
    }


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_publish_asset(upstream: list):
    """The publish asset, downstream of every mart (so it runs after the whole build)."""
    import dagster as dg

    from dagster_project.as_of import resolve_as_of
    from dagster_project.resources import ServingCopy, Warehouse

    @dg.asset(
        key=dg.AssetKey(["serving", "publish"]),
        group_name="publish",
        deps=upstream,
        kinds={"duckdb"},
        owners=["team:cs-ops"],
        description="Atomically replace the serving copy with the marts, dq, staging and seeds "
        "schemas of the warehouse.",
    )
    def publish_serving_copy(
        context: dg.AssetExecutionContext, warehouse: Warehouse, serving: ServingCopy
    ) -> dg.MaterializeResult:
        as_of = resolve_as_of(warehouse.path)
        result = publish(
            Path(warehouse.path),
            Path(serving.path),
            run_id=context.run.run_id,
            as_of=as_of,
            restricted_path=Path(serving.restricted_path) if serving.restricted_path else None,
        )
        context.log.info(
            f"published {result.tables} tables ({result.rows} rows; {result.tables_rewritten} "
            f"written whole, the rest unchanged or in part) to {result.path}"
        )
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "tables": result.tables,
                "rows": result.rows,
                "as_of_date": as_of.isoformat() if as_of else "",
                **headline(result.path),
            }
        )

    return publish_serving_copy
