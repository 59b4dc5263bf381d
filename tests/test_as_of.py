"""The as-of date D: CSWH_AS_OF, else the latest usage day loaded (dagster_project.as_of)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.as_of import as_of_override, resolve_as_of
from dagster_project.extract import ensure_schemas


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CSWH_AS_OF", raising=False)
    path = tmp_path / "cs-倉庫 wh.duckdb"  # the catalog is named after the file
    con = duckdb.connect(str(path))
    ensure_schemas(con)
    con.execute(
        "insert into raw.usage__daily (activity_date, account_id, user_id, feature, event_count,"
        " devices) values (date '2026-10-30', 'A1', 'U1', 'core_action', 1, 1),"
        " (date '2026-10-31', 'A1', 'U1', 'search', 2, 1)"
    )
    con.close()
    return path


def test_latest_usage_day_without_an_override(warehouse: Path) -> None:
    assert resolve_as_of(warehouse) == date(2026, 10, 31)


def test_override_wins(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSWH_AS_OF", "2026-09-30")
    assert as_of_override() == date(2026, 9, 30)
    assert resolve_as_of(warehouse) == date(2026, 9, 30)


def test_no_usage_yet_means_no_date(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CSWH_AS_OF", raising=False)
    assert resolve_as_of(tmp_path / "missing.duckdb") is None
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    assert resolve_as_of(empty) is None
    assert not (tmp_path / "missing.duckdb").exists()  # resolving D creates no warehouse


def test_a_bad_override_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSWH_AS_OF", "2026-13-01")
    with pytest.raises(ValueError, match="CSWH_AS_OF is not a date"):
        as_of_override()


def test_a_selected_run_whose_d_moves_runs_everything(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cswh run --select cs_inputs --as-of <another day>` would leave the snapshot dates at
    the last run's D (they depend on D, not on the source): it runs every asset instead."""
    from dagster_project.config import Settings
    from dagster_project.run import _widen_if_d_moved

    monkeypatch.setenv("CSWH_WAREHOUSE", str(warehouse))
    settings = Settings.from_env()
    assert _widen_if_d_moved(settings, "cs_inputs") == "cs_inputs"  # no run yet, no override
    con = duckdb.connect(str(warehouse))
    con.execute("create schema meta")
    con.execute("create table meta.run_context (as_of_date date, run_id varchar)")
    con.execute("insert into meta.run_context values (date '2026-10-31', 'r1')")
    con.close()
    monkeypatch.setenv("CSWH_AS_OF", "2026-10-31")
    assert _widen_if_d_moved(settings, "cs_inputs") == "cs_inputs"  # same D: the source only
    monkeypatch.setenv("CSWH_AS_OF", "2026-12-06")
    assert _widen_if_d_moved(settings, "cs_inputs") is None  # D moved: everything
    assert _widen_if_d_moved(settings, None) is None
