"""Freshness: a source that is late against its delivery cadence fails its Dagster check
and is recorded in dq.check_results (suite freshness) for the dashboard."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.freshness import CADENCES, SUITE, build_freshness_checks, evaluate
from dagster_project.resources import AppStore, LandingZone, Warehouse


def test_every_cadence_names_a_raw_table_column() -> None:
    from dagster_project.sources import ENTITIES

    tables = {e.table: {c.name for c in e.all_columns} for e in ENTITIES}
    for source, cadence in CADENCES.items():
        assert cadence.table.startswith(f"{source}__")
        assert cadence.column in tables[cadence.table], cadence
        assert cadence.max_age_days > 0


def test_reference_is_the_later_of_as_of_and_the_newest_delivery() -> None:
    marks = {s: date(2026, 10, 30) for s in CADENCES} | {"nps": date(2026, 5, 1)}
    results = {r.cadence.source: r for r in evaluate(marks, as_of=date(2026, 10, 31))}
    assert results["crm"].passed and results["crm"].age_days == 1
    assert not results["nps"].passed
    assert "nps is LATE" in results["nps"].message and "2026-05-01" in results["nps"].message
    # D pinned in the past: the zone's newest delivery is the clock.
    results = {r.cadence.source: r for r in evaluate(marks | {"usage": None}, date(2026, 1, 1))}
    assert results["crm"].reference == date(2026, 10, 30)
    assert not results["usage"].passed  # nothing delivered while others did
    # An empty warehouse is not judged.
    assert all(r.passed for r in evaluate(dict.fromkeys(CADENCES), None))


def _check_for(source: str) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(["raw", CADENCES[source].table])
    (check,) = [c for c in build_freshness_checks() if key in {k.asset_key for k in c.check_keys}]
    return check


def _run_nps(zone: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    from dagster_project.extract.assets import extract_assets

    (extract_nps,) = [a for a in extract_assets if a.op.name == "extract_nps"]
    return dg.materialize(
        [extract_nps, _check_for("nps")],
        resources={
            "warehouse": Warehouse(path=str(warehouse)),
            "landing_zone": LandingZone(path=str(zone)),
            "app_store_db": AppStore(path=str(warehouse.parent / "app.sqlite")),
        },
        raise_on_error=False,
    )


def _freshness_rows(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "select run_id, table_name, column_name, severity, success, observed_value "
            "from dq.check_results where suite = ?",
            [SUITE],
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("late", [True, False])
def test_a_late_nps_delivery_fails_the_freshness_check(
    tiny_zone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: bool
) -> None:
    zone = tmp_path / "raw"
    shutil.copytree(tiny_zone / "nps", zone / "nps")
    if late:  # the 2026 Q2-Q4 survey exports never arrived: newest answers are from March
        for name in ("responses_2026-Q2.csv", "responses_2026-Q3.csv", "responses_2026-Q4.csv"):
            (zone / "nps" / name).unlink()
    monkeypatch.setenv("CSWH_AS_OF", "2026-10-31")
    warehouse = tmp_path / "warehouse.duckdb"

    result = _run_nps(zone, warehouse)

    assert result.success  # non-blocking: a late source is reported, the run goes on
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "freshness"
    assert evaluation.asset_key == dg.AssetKey(["raw", "nps__responses"])
    assert evaluation.passed is (not late)
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "nps" in evaluation.description
    ((run_id, table, column, severity, success, observed),) = _freshness_rows(warehouse)
    assert (run_id, table, column, severity, success) == (
        result.run_id,
        "raw.nps__responses",
        "responded_at",
        "warning",
        not late,
    )
    observed = json.loads(observed)
    assert observed["source"] == "nps" and observed["reference_date"] == "2026-10-31"
    if late:
        assert "nps is LATE" in evaluation.description
        assert observed["latest"] < "2026-04-01"
        assert observed["age_days"] > CADENCES["nps"].max_age_days


def test_every_source_with_a_cadence_has_a_check_in_the_code_location() -> None:
    from dagster_project.definitions import defs

    checks = {k for k in defs.resolve_asset_graph().asset_check_keys if k.name == "freshness"}
    assert checks == {
        dg.AssetCheckKey(dg.AssetKey(["raw", c.table]), "freshness") for c in CADENCES.values()
    }
