"""One Dagster multi-asset per source system: it loads the landing-zone files of that
system into its raw tables (asset keys ``raw/<source>__<entity>``, the DuckDB tables)."""

from pathlib import Path

import dagster as dg

from dagster_project import app_store
from dagster_project.extract import ensure_schemas, load_source
from dagster_project.resources import AppStore, LandingZone, Warehouse
from dagster_project.sources import SOURCES, Entity, entities_of

GROUP = "extract"
# Sources that people also write through the dashboard (app store tables).
FROM_APP = {t.contract.source for t in app_store.TABLES.values()}


def _spec(entity: Entity) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=dg.AssetKey(["raw", entity.table]),
        description=f"{entity.description} Loaded from `{entity.glob}` in the landing zone.",
        group_name=GROUP,
        kinds={"duckdb", entity.format},
        owners=["team:cs-ops"],
        metadata={"landing_zone_glob": entity.glob, "key": ", ".join(entity.key)},
        skippable=True,
    )


def _build(source: str) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=f"extract_{source}",
        specs=[_spec(e) for e in entities_of(source)],
        description=f"Load new `{source}` deliveries into DuckDB schema raw (manifest, quarantine).",
        can_subset=False,
    )
    def _extract(
        context: dg.AssetExecutionContext,
        warehouse: Warehouse,
        landing_zone: LandingZone,
        app_store_db: AppStore,
    ):
        data_dir = Path(landing_zone.path)
        from_app = 0
        with warehouse.connect() as con:
            ensure_schemas(con)
            result = load_source(con, data_dir, source, context.run_id, log=context.log.info)
            if source in FROM_APP:
                # What people recorded in the dashboard joins what was dropped into the
                # landing zone. A cursor of its own: DuckDB 2.0 refuses register() on a
                # connection that still holds an unfetched result.
                with con.cursor() as cur:
                    from_app = app_store.load_into_raw(
                        cur, context.run_id, app_store_db.path, source
                    )
                context.log.info(f"{source}: {from_app} new record(s) from the dashboard store")
        for f in result.files:
            if f.status == "failed":
                context.log.warning(f"rejected: {f.error}")  # the error names the file
        for entity in entities_of(source):
            files = [f for f in result.files if f.entity == entity.name]
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["raw", entity.table]),
                metadata={
                    "dagster/row_count": result.table_rows.get(entity.table, 0),
                    "files_loaded": sum(f.status == "loaded" for f in files),
                    "files_skipped": sum(f.status == "skipped_duplicate" for f in files),
                    "files_failed": sum(f.status == "failed" for f in files),
                    "rows_loaded": sum(f.rows_loaded or 0 for f in files),
                    "rows_quarantined": sum(f.rows_quarantined or 0 for f in files),
                    **({"rows_from_dashboard": from_app} if source in FROM_APP else {}),
                },
            )

    return _extract


extract_assets = [_build(source) for source in SOURCES]
