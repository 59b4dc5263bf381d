"""Data quality (CONTRACT.md section 8): Great Expectations suites as code, run by SQL
pushdown into DuckDB as Dagster asset checks, recorded in dq.check_results and published
as Data Docs.

Wiring (definitions.py / cli.py / run.py):
  build_quality_checks(asset_keys) -> asset checks for Definitions(asset_checks=...)
  failed_checks(events, severity)  -> names of failed checks for `cswh run`'s summary
  build_data_docs_asset(publish)   -> the Data Docs asset, downstream of the publish
  build_docs(settings)             -> `cswh docs`: Data Docs + dbt docs + landing page
"""

from dagster_project.quality.checks import build_quality_checks, failed_checks
from dagster_project.quality.docs import build_data_docs_asset, build_docs, refresh_data_docs

__all__ = [
    "build_data_docs_asset",
    "build_docs",
    "build_quality_checks",
    "failed_checks",
    "refresh_data_docs",
]
