"""Assembles the Dagster code location; no logic lives here, and importing it changes nothing."""

from __future__ import annotations

import dagster as dg

from dagster_project.automation import build_landing_zone_sensor, build_schedule
from dagster_project.config import Settings
from dagster_project.extract.assets import extract_assets
from dagster_project.freshness import build_freshness_checks
from dagster_project.notify.asset import build_outbox_asset
from dagster_project.publish import build_publish_asset
from dagster_project.quality import build_data_docs_asset, build_quality_checks
from dagster_project.resources import AppStore, LandingZone, ServingCopy, Warehouse
from dagster_project.sources import SOURCES
from dagster_project.transform.assets import dbt_models
from dagster_project.transform.project import dbt_project
from dagster_project.transform.resource import CswhDbtCliResource, dbt_executable

# Read, never written: importing this module leaves os.environ alone. Settings fills in the
# defaults and makes relative paths absolute (against the repository root), which EnvVar
# cannot; `cswh ui` and `cswh run` export the same values for dbt and the run workers.
settings = Settings.from_env()

publish_asset = build_publish_asset([k for k in dbt_models.keys if k.path[0] == "marts"])
# After every publish, however the run started (CLI, UI, schedule, sensor).
data_docs_asset = build_data_docs_asset(publish_asset.key)
# The outbox follows the publish too: it queues (and sends where CSWH_NOTIFY_SEND=1).
outbox_asset = build_outbox_asset(publish_asset.key)
all_assets = [*extract_assets, dbt_models, publish_asset, data_docs_asset, outbox_asset]
# Great Expectations suites on every raw table and contract mart; critical ones block publish.
quality_checks = build_quality_checks([key for a in all_assets for key in a.keys])

# One source and everything downstream of it (`cswh run --select`, the landing-zone sensor).
selection_by_source: dict[str, list[dg.AssetKey]] = {
    source: sorted(
        dg.AssetSelection.assets(*extract.keys).downstream().resolve(all_assets),
        key=lambda k: k.path,
    )
    for source, extract in zip(SOURCES, extract_assets, strict=True)
}

# DuckDB has one writer: the steps of a run execute one after another in one process.
cswh_job = dg.define_asset_job(
    "cswh_job",
    selection=dg.AssetSelection.all(),
    description="Extract every source, dbt build, publish the serving copy, refresh Data Docs.",
    executor_def=dg.in_process_executor,
)

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=[*build_freshness_checks(), *quality_checks],
    jobs=[cswh_job],
    schedules=[build_schedule(cswh_job)],
    sensors=[build_landing_zone_sensor(cswh_job, selection_by_source)],
    resources={
        "warehouse": Warehouse(path=str(settings.warehouse)),
        "landing_zone": LandingZone(path=str(settings.data_dir)),
        "serving": ServingCopy(
            path=str(settings.serving), restricted_path=str(settings.restricted)
        ),
        "app_store_db": AppStore(path=str(settings.app_db)),
        "dbt": CswhDbtCliResource(
            project_dir=dbt_project,
            profiles_dir=str(dbt_project.project_dir),
            dbt_executable=dbt_executable(),
        ),
    },
)
