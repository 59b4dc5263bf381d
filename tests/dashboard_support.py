"""Helpers shared by the dashboard (AppTest) and browser (Playwright) tests; no tests here.

The pages are tested against a serving copy published by the REAL pipeline: `cswh run` on
the session's `tiny_zone`, in a temporary root. It runs once per test session (both test
modules share it). Set CSWH_DASHBOARD_FIXTURE=dev to use the hand-made development copy
from dashboards/devdata.py instead (random numbers, contract column names) — only for
working on the pages while the marts are not built; never a substitute for the real run.
CSWH_DASHBOARD_FIXTURE=/path/to/serving.duckdb tests a copy of an existing published copy.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from dagster_project.config import PROJECT_ROOT
from tests.support import published_tiny, query

APP = PROJECT_ROOT / "dashboards" / "streamlit_app.py"
sys.path.insert(0, str(PROJECT_ROOT / "dashboards"))  # the app's own modules, as it runs them
from navigation import PAGES as PAGE_SPECS  # noqa: E402

# url path -> page file, and the tables without which the page cannot answer (a page whose
# tables a serving copy lacks is skipped with that reason rather than tested against it).
PAGES = {spec.url_path: f"app_pages/{spec.file}" for spec in PAGE_SPECS}
NEEDS = {spec.url_path: list(spec.needs) for spec in PAGE_SPECS}
ARTIFACTS = PROJECT_ROOT / "test-artifacts"

_CACHE: dict[str, Path] = {}


def published_serving(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> Path:
    """The serving copy of one `cswh run` on the tiny zone (built once per session)."""
    mode = os.environ.get("CSWH_DASHBOARD_FIXTURE", "pipeline")
    if mode in _CACHE:
        return _CACHE[mode]
    root = tmp_path_factory.mktemp("dashboard-" + ("copy" if mode.endswith(".duckdb") else mode))
    serving = root / "warehouse" / "serving.duckdb"
    if mode.endswith(".duckdb"):
        serving.parent.mkdir(parents=True)
        shutil.copyfile(mode, serving)
    elif mode == "dev":
        sys.path.insert(0, str(PROJECT_ROOT / "dashboards"))
        from devdata import build

        serving.parent.mkdir(parents=True)
        build(serving)
    else:
        serving = published_tiny(tmp_path_factory, tiny_zone).serving
    _CACHE[mode] = serving
    return serving


def restricted_beside(serving: Path) -> Path:
    """The restricted copy the run that published ``serving`` wrote (tests.support.cswh_env's
    layout: <root>/warehouse/serving.duckdb, <root>/restricted/restricted.duckdb)."""
    return serving.parent.parent / "restricted" / "restricted.duckdb"


def tables(serving: Path) -> set[str]:
    return {
        f"{s}.{t}" for s, t in query(serving, "select schema_name, table_name from duckdb_tables()")
    }


def skip_unless_published(serving: Path, page: str) -> None:
    missing = [t for t in NEEDS[page] if t not in tables(serving)]
    if missing:
        pytest.skip(f"the pipeline on main does not publish {', '.join(missing)} yet")


def modified_copy(serving: Path, dest: Path, *statements: str) -> Path:
    """A copy of ``serving`` with ``statements`` applied (a stand-in for the next build)."""
    shutil.copyfile(serving, dest)
    con = duckdb.connect(str(dest))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()
    return dest


def current_kpi_month(serving: Path):
    """The month the Overview page calls "this month": the latest KPI month up to D."""
    (as_of,) = query(
        serving,
        "select coalesce((select max(as_of_date) from dq.publish_log),"
        " (select max(snapshot_date) from marts.fct_account_health))"
        if "dq.publish_log" in tables(serving)
        else "select max(snapshot_date) from marts.fct_account_health",
    )[0]
    (month,) = query(
        serving,
        "select max(month) from marts.mart_kpi_monthly where cast(month as date) <= ?",
        [as_of],
    )[0]
    return month


def dev_serving(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made copy of dashboards/devdata.py: it already holds what the daily pipeline
    adds (is_provisional, the CTA ledger's columns, orphaned outcomes, seeds_hash) and KPI
    numbers in the hundreds and thousands, whatever the pipeline on this branch publishes."""
    if "dev-daily" not in _CACHE:
        sys.path.insert(0, str(PROJECT_ROOT / "dashboards"))
        from devdata import build

        _CACHE["dev-daily"] = build(tmp_path_factory.mktemp("dev-daily") / "serving.duckdb")
    return _CACHE["dev-daily"]


# What an older serving copy lacks: the pages must say so instead of raising.
BEFORE_DAILY = (
    "alter table marts.fct_account_health drop column is_provisional",
    "alter table marts.fct_cta_candidates drop column raised_in_run_id",
    "alter table marts.fct_cta_candidates drop column raised_as_of",
    "drop table dq.orphaned_cta_outcomes",
    "alter table dq.publish_log drop column seeds_hash",
)


def columns_of(serving: Path, table: str) -> set[str]:
    schema, name = table.split(".")
    return {
        r[0]
        for r in query(
            serving,
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [schema, name],
        )
    }


def vega_charts(at) -> list[tuple[dict, dict[str, pd.DataFrame]]]:
    """Every Vega-Lite chart an AppTest run drew: its spec and its named datasets."""
    charts = []
    for element in at.get("vega_lite_chart"):
        proto = element.proto
        datasets = {
            d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in proto.datasets
        }
        charts.append((json.loads(proto.spec), datasets))
    return charts


def layers(spec: dict) -> list[dict]:
    """The single views of a chart: itself, or the layers of a layered one."""
    return spec.get("layer", [spec])


def layer_data(spec: dict, layer: dict, datasets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    name = (layer.get("data") or spec.get("data") or {}).get("name")
    return datasets[name]


def mark(layer: dict) -> dict:
    m = layer["mark"]
    return {"type": m} if isinstance(m, str) else m


PAGE_TIMEOUT = 60  # s: a page's first run reads the serving copy and draws its charts


def open_page(page: str):
    """The app run headless (streamlit AppTest), switched to ``page`` (a url path of
    dashboards/navigation.py); fails on any exception the page raised."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT)
    at.run()
    at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
