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
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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


# --- signing in ------------------------------------------------------------------------------
# The dashboard shows nothing to a signed-out visitor (dashboards/auth.py). The tests sign in
# as users of a users file made for them (CSWH_USERS_DB): AppTest through the session state
# the gate reads, the browser through the real form (test_browser_*: sign_in).
TEST_PASSWORD = "correct horse battery staple"
APPTEST_USER = "apptest"  # cs_ops: every page and every form; recorded_by of AppTest writes
_USERS: dict[str, str] = {}  # name -> role, already in the session's users file


def users_file() -> Path:
    """The session's users file (outside the repository), set as CSWH_USERS_DB."""
    if "users_file" not in _CACHE:
        _CACHE["users_file"] = Path(tempfile.mkdtemp(prefix="cswh-users-")) / "users.sqlite"
    os.environ["CSWH_USERS_DB"] = str(_CACHE["users_file"])
    return _CACHE["users_file"]


def add_user(name: str, role: str, path: Path | None = None) -> str:
    """``name`` as a user with ``role`` (password TEST_PASSWORD) in ``path`` (default: the
    session's users file)."""
    from dagster_project import users

    if path is not None:
        users.add(name, role, TEST_PASSWORD, reset=True, path=path)
        return name
    path = users_file()
    if _USERS.get(name) != role:
        users.add(name, role, TEST_PASSWORD, reset=True, path=path)
        _USERS[name] = role
    return name


def app_test(role: str = "cs_ops", name: str | None = None):
    """The app headless (AppTest), signed in as ``name`` (default: apptest for cs_ops,
    apptest-ROLE otherwise) with ``role``, as the sign-in form would leave the session."""
    import auth
    from streamlit.testing.v1 import AppTest

    name = name or (APPTEST_USER if role == "cs_ops" else f"{APPTEST_USER}-{role}")
    add_user(name, role)
    at = AppTest.from_file(str(APP), default_timeout=PAGE_TIMEOUT)
    now = auth.clock()
    at.session_state[auth.SESSION_KEY] = auth.SignedIn(
        name, role, "password", now, now + auth.session_minutes() * 60
    )
    return at


def open_page(page: str, role: str = "cs_ops", name: str | None = None):
    """The app run headless (streamlit AppTest), signed in (see app_test), switched to
    ``page`` (a url path of dashboards/navigation.py); fails on any exception it raised."""
    at = app_test(role, name)
    at.run()
    at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@contextmanager
def captured_downloads() -> Iterator[dict[str, bytes]]:
    """The bytes of every st.download_button the pages make while the block runs, by file
    name: a spy on Streamlit's in-memory media store (AppTest's own), which it still calls."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    got: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            got[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    MemoryMediaFileStorage.load_and_get_id = spy
    try:
        yield got
    finally:
        MemoryMediaFileStorage.load_and_get_id = original


# Elements whose text Streamlit renders as markdown (body or label).
MARKDOWN_BODIES = ("markdown", "caption", "title", "header", "subheader", "info", "warning",
                   "success", "error", "toast")  # fmt: skip


def markdown_texts(at) -> list[str]:
    """The markdown source of every element of an AppTest run that renders markdown: bodies
    of text and alert elements, and the labels of metrics, expanders, tabs and widgets."""
    texts = [str(e.value) for kind in MARKDOWN_BODIES for e in at.get(kind)]
    for kind in ("metric", "expander", "tab", "selectbox", "multiselect", "radio", "button",
                 "text_input", "text_area", "checkbox", "toggle", "number_input", "date_input"):  # fmt: skip
        texts += [str(e.label) for e in at.get(kind) if getattr(e, "label", None)]
    return texts


def literal(markdown: str) -> str:
    """What a markdown text escaped by ``page_kit.plain`` reads as (backslash escapes and
    its invisible word joiners undone)."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
