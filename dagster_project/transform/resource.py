"""dagster-dbt's CLI resource without its two per-run start-up costs we do not use.

Before every `dbt build`, `DbtCliResource.cli()` runs `dbt --version` in a subprocess (3 s
here) and loads dbt's profile and adapter inside the Dagster process (4 s). The adapter only
serves `fetch_row_counts()` / `fetch_column_metadata()`, which cswh does not call (and with
DuckDB they would open the warehouse while dbt holds it). The version comes from the
installed dbt-core package, the same `dbt` executable this environment runs.
"""

from __future__ import annotations

from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version

from dagster_project.config import executable


class CswhDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - same signature as the parent
        return None


def dbt_executable() -> str:
    """The `dbt` of this Python environment, also when its bin folder is not on PATH (e.g.
    `.venv/bin/cswh` or `dagster dev` started without activating the venv)."""
    return executable("dbt")
