"""The serving copy: what analysts, the dashboard and auditors read.

DuckDB locks the whole file, so readers never open the working warehouse. After a good
build the published schemas are copied into a new file next to the serving path, which
is then swapped in with ``os.replace`` (atomic on POSIX): a reader sees either the old
copy or the new one, never a half-written file, and never meets the pipeline's lock.
"""

import glob
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.config import duckdb_config

# Schemas an analyst or the dashboard reads. `staging` is published as tables so that
# analysts can trace a mart back to its typed, deduplicated source rows.
PUBLISHED_SCHEMAS = ("marts", "dq", "staging", "seeds")
# Too large to duplicate (one row per user, feature and day); analysts use fct_usage_weekly.
NOT_PUBLISHED = {("staging", "stg_usage__daily")}


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: int
    rows: int


def record_publication(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    as_of: str | None,
    catalog: str | None = None,
    published_at: datetime | None = None,
) -> None:
    """Append to ``dq.publish_log`` (of ``catalog``, default the connection's database)."""
    table = f"{_ident(catalog)}.dq.publish_log" if catalog else "dq.publish_log"
    con.execute(
        f"create table if not exists {table} ("
        "run_id varchar, published_at timestamp, as_of_date date)"
    )
    con.execute(
        f"insert into {table} values (?, ?, ?)",
        [run_id, published_at or datetime.now(UTC).replace(tzinfo=None), as_of],
    )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish(
    warehouse: Path, serving: Path, run_id: str | None = None, as_of: str | None = None
) -> Publication:
    """Copy the published schemas of ``warehouse`` to ``serving``, atomically.

    With ``run_id``, the publication is logged in ``dq.publish_log``: first in the new copy
    (before the swap), then in the warehouse (after it), so a publish killed mid-copy never
    appears in the log as published (the next copy takes the log from the warehouse)."""
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(f".{serving.name}.{os.getpid()}.tmp")
    # A publish killed mid-copy leaves its half-written file (named after its pid) behind.
    # Only one run publishes at a time (the warehouse lock), so every such file is garbage.
    for leftover in serving.parent.glob(f".{glob.escape(serving.name)}.*.tmp*"):
        leftover.unlink(missing_ok=True)
    tables = rows = 0
    con = duckdb.connect(str(warehouse), config=duckdb_config())
    try:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema in "
            f"({', '.join('?' for _ in PUBLISHED_SCHEMAS)}) order by 1, 2",
            list(PUBLISHED_SCHEMAS),
        ).fetchall()
        con.execute("attach ? as serving_tmp", [str(tmp)])  # a path is a value, not SQL
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f'create schema if not exists serving_tmp."{schema}"')
        for schema, name in relations:
            if (schema, name) in NOT_PUBLISHED:
                continue
            con.execute(
                f'create table serving_tmp."{schema}"."{name}" as select * from "{schema}"."{name}"'
            )
            rows += con.execute(f'select count(*) from serving_tmp."{schema}"."{name}"').fetchone()[
                0
            ]
            tables += 1
        published_at = datetime.now(UTC).replace(tzinfo=None)
        if run_id is not None:
            record_publication(con, run_id, as_of, catalog="serving_tmp", published_at=published_at)
        con.execute("detach serving_tmp")
        con.close()
        _fsync(tmp)
        os.replace(tmp, serving)
    except BaseException:
        con.close()
        for leftover in (tmp, Path(f"{tmp}.wal")):
            leftover.unlink(missing_ok=True)
        raise
    _fsync(serving.parent)
    if run_id is not None:
        con = duckdb.connect(str(warehouse), config=duckdb_config())
        try:
            record_publication(con, run_id, as_of, published_at=published_at)
        finally:
            con.close()
    return Publication(serving, tables, rows)


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

    from dagster_project.resources import ServingCopy, Warehouse
    from dagster_project.transform.assets import resolve_as_of

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
        as_of = resolve_as_of(warehouse)
        result = publish(
            Path(warehouse.path), Path(serving.path), run_id=context.run.run_id, as_of=as_of
        )
        context.log.info(f"published {result.tables} tables ({result.rows} rows) to {result.path}")
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "tables": result.tables,
                "rows": result.rows,
                "as_of_date": as_of or "",
                **headline(result.path),
            }
        )

    return publish_serving_copy
