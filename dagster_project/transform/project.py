"""The one cached DbtProject. This module only builds it, so that
``cswh prepare`` (and `dagster-dbt project prepare-and-package --file` if you prefer)
can write the manifest before anything imports the dbt assets."""

from __future__ import annotations

import json
from functools import cache

from dagster_dbt import DbtProject

from dagster_project.config import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, target_path="target")


def manifest_is_stale() -> bool:
    """True when the manifest is missing or older than any file dbt parses."""
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = ["models", "seeds", "macros", "tests", "dbt_project.yml", "profiles.yml"]
    for name in watched:
        path = DBT_PROJECT_DIR / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def prepare() -> None:
    """Parse the dbt project and write target/manifest.json (needs CSWH_WAREHOUSE set)."""
    dbt_project.preparer.prepare(dbt_project)


# dbt config that marks the models keeping the health history (macro health_history_config;
# on DuckDB strategy history_batch, on Spark insert_overwrite of whole dates): a build writes
# only its batch of rows.
HISTORY_CONFIG = "health_history"


@cache
def history_models() -> frozenset[str]:
    """Names of the dbt models that keep the health history (from the manifest)."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return frozenset(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get(HISTORY_CONFIG)
    )
