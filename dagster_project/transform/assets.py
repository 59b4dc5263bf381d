"""dbt models as Dagster assets: one `dbt build` per run, so dbt tests arrive as asset checks."""

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from dagster_project.as_of import resolve_as_of
from dagster_project.config import Settings
from dagster_project.lake import write_lake
from dagster_project.lake import write_run_context as write_lake_run_context
from dagster_project.resources import Warehouse
from dagster_project.transform.engine import engine_of, spark_missing
from dagster_project.transform.project import dbt_project
from dagster_project.transform.spark_import import export_args, import_published

# dbt folder (first path component under models/) -> Dagster asset group.
_GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


class CswhTranslator(DagsterDbtTranslator):
    """Asset keys match the DuckDB schemas: raw/<table> for sources, <schema>/<model>."""

    def get_asset_key(self, props: Mapping[str, Any]) -> dg.AssetKey:
        if props["resource_type"] == "source":
            return dg.AssetKey(["raw", props["identifier"]])
        return dg.AssetKey([props["schema"], props["alias"] or props["name"]])

    def get_group_name(self, props: Mapping[str, Any]) -> str | None:
        if props["resource_type"] == "seed":
            return "config"
        folder = props.get("fqn", [None, None])[1] if len(props.get("fqn", [])) > 2 else None
        return _GROUPS.get(folder, "marts")

    def get_owners(self, props: Mapping[str, Any]) -> list[str]:
        return ["team:analytics-engineering"]


translator = CswhTranslator(settings=DagsterDbtTranslatorSettings(enable_code_references=False))


# A run tagged so (`cswh run --full-refresh`, or the tag set in the UI's launchpad) rebuilds
# every incremental model and replays the CTA ledger (CONTRACT section 10).
FULL_REFRESH_TAG = "cswh/full_refresh"


def is_full_refresh(tags: Mapping[str, str]) -> bool:
    return tags.get(FULL_REFRESH_TAG, "").lower() == "true"


@dbt_assets(
    manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=translator
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    engine = engine_of(context.run.tags)
    if engine == "spark" and (missing := spark_missing()) is not None:
        raise dg.Failure(missing)
    as_of = resolve_as_of(warehouse.path)
    full_refresh = is_full_refresh(context.run.tags)
    context.log.info(
        f"as-of date D = {as_of or '(no usage data yet)'}; engine {engine}"
        + ("; full refresh: every model rebuilt, CTA ledger replayed" if full_refresh else "")
    )
    settings = Settings.from_env()
    # The lake is the raw layer both engines read: every run writes it, whatever the engine.
    with warehouse.connect() as con:
        written = write_lake(con, settings.lake, rebuild=full_refresh)
    context.log.info(f"{written.summary()} ({settings.lake})")
    write_run_context(warehouse, context.run_id, as_of, full_refresh)
    # Unit tests check the SQL, not the data: they run in `make test` (tests/test_dbt.py),
    # not in every production build.
    args = ["build", "--exclude-resource-type", "unit_test"]
    args += ["--full-refresh"] if full_refresh else []
    if engine == "spark":
        yield from spark_build(context, dbt, warehouse, settings, as_of, full_refresh, args)
        return
    with _profile_env(warehouse.path):
        invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    keep_partial_parse(invocation.target_path)
    prune_target_dirs()


def spark_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: Warehouse,
    settings: Settings,
    as_of: date | None,
    full_refresh: bool,
    args: list[str],
):
    """The dbt build on Spark (target ``spark``), then its published models and seeds exported
    as Parquet and imported into the DuckDB warehouse (spark_import.py), where the GX suites
    and publish read them as they read a DuckDB build. GX runs there, on DuckDB, not through a
    Spark datasource: the suites' cross-table checks are DuckDB SQL, and the marts are small.
    Spark reads the lake (the dbt project's on-run-start registers its folders) and the run
    context written there; DuckDB's meta.run_context is written too (as_of.last_run_as_of)."""
    write_lake_run_context(settings.lake, context.run_id, as_of, full_refresh)
    target = ["--target", "spark"]
    with _profile_env(warehouse.path):
        invocation = dbt.cli(args + target, context=context)
        yield from invocation.stream()
        export_dir = settings.spark_dir / "export"
        shutil.rmtree(export_dir, ignore_errors=True)
        # No context: dagster-dbt would add the run's --select, which run-operation refuses.
        dbt.cli(
            ["run-operation", "export_published", "--args", export_args(export_dir), *target]
        ).wait()
    # The manifest of the Spark build: its configs are Spark's (partition_by, file_format).
    with warehouse.connect() as con:
        imported = import_published(con, export_dir, invocation.target_path / "manifest.json")
    rows = sum(t.rows for t in imported)
    context.log.info(f"imported {len(imported)} tables ({rows:,} rows) from Spark into DuckDB")
    prune_target_dirs()


@contextmanager
def _profile_env(warehouse: str) -> Iterator[None]:
    """dbt's profile reads the warehouse path from CSWH_WAREHOUSE, and dagster-dbt hands the dbt
    subprocess this process's environment when it starts it (inside dbt.cli). Set it to the
    resource's absolute path for that moment, so dbt builds the file every other step opens:
    unset it would fail, relative it would resolve inside dbt/."""
    previous = os.environ.get("CSWH_WAREHOUSE")
    os.environ["CSWH_WAREHOUSE"] = str(Path(warehouse).absolute())
    try:
        yield
    finally:
        if previous is None:
            del os.environ["CSWH_WAREHOUSE"]
        else:
            os.environ["CSWH_WAREHOUSE"] = previous


KEEP_TARGET_DIRS = 5


def keep_partial_parse(invocation_target: Path) -> None:
    """Make this build's parse state the one the next build starts from.

    dagster-dbt seeds every invocation with dbt/target/partial_parse.msgpack, but dbt throws a
    parse state away when the profile differs (the warehouse path, the memory limit), as it
    does for the one `cswh prepare` wrote: every run re-parsed the whole project (~5 s). The
    next run on the same warehouse now parses only what changed."""
    produced = invocation_target / "partial_parse.msgpack"
    if not produced.exists():
        return
    shared = dbt_project.project_dir / dbt_project.target_path / "partial_parse.msgpack"
    tmp = shared.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(produced, tmp)
    os.replace(tmp, shared)


def prune_target_dirs() -> None:
    """dagster-dbt gives each invocation its own target folder; keep the latest few (the
    benchmark reads the last run_results.json), not one per run forever."""
    root = dbt_project.project_dir / dbt_project.target_path
    runs = sorted(
        (p for p in root.glob("dbt_models-*") if p.is_dir()), key=lambda p: p.stat().st_mtime
    )
    for old in runs[:-KEEP_TARGET_DIRS]:
        shutil.rmtree(old, ignore_errors=True)


# meta.run_context's columns (macro create_run_context makes the same table); the lake's copy
# for a Spark build (lake.write_run_context) is written from this too.
RUN_CONTEXT_COLUMNS = {"as_of_date": "date", "run_id": "varchar", "full_refresh": "boolean"}


def write_run_context(
    warehouse: Warehouse, run_id: str, as_of: date | None, full_refresh: bool = False
) -> None:
    """Hand D (as dagster_project.as_of resolves it), the run id and the full-refresh flag to
    dbt as data (meta.run_context, read by the as_of_date() and history-state macros) rather than as --vars, which would force
    dbt to re-parse the whole project on every run. The table's shape is dbt's
    (macro create_run_context), so dbt on its own finds it too."""
    with warehouse.connect() as con:
        con.execute("create schema if not exists meta")
        columns = ", ".join(f"{c} {t}" for c, t in RUN_CONTEXT_COLUMNS.items())
        con.execute(f"create table if not exists meta.run_context ({columns})")
        # A warehouse made before a column was added gains it.
        for column, kind in RUN_CONTEXT_COLUMNS.items():
            con.execute(f"alter table meta.run_context add column if not exists {column} {kind}")
        con.execute("delete from meta.run_context")
        values = {"as_of_date": as_of, "run_id": run_id, "full_refresh": full_refresh}
        con.execute(
            f"insert into meta.run_context ({', '.join(RUN_CONTEXT_COLUMNS)}) "
            f"values ({', '.join('?' for _ in RUN_CONTEXT_COLUMNS)})",
            [values[c] for c in RUN_CONTEXT_COLUMNS],
        )
