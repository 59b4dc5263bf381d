"""The morning schedule and the landing-zone sensor, evaluated with Dagster's test helpers."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.automation import SCHEDULE_CRON, SCHEDULE_TIMEZONE
from dagster_project.resources import LandingZone, ServingCopy


@pytest.fixture(scope="module")
def definitions():
    from dagster_project import definitions

    return definitions


def _tick(sensor, zone: Path, serving: Path, cursor: str | None):
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={
            "landing_zone": LandingZone(path=str(zone)),
            "serving": ServingCopy(path=str(serving)),
        },
    )
    result = sensor(context)
    return result, context.cursor


def _publish_manifest(serving: Path, files: list[str]) -> None:
    con = duckdb.connect(str(serving))
    con.execute("create schema dq")
    con.execute("create table dq.load_manifest (file varchar)")
    con.executemany("insert into dq.load_manifest values (?)", [[f] for f in files])
    con.close()


def test_schedule_runs_the_whole_job_at_six_japan_time(definitions) -> None:
    schedule = definitions.defs.resolve_schedule_def("cswh_daily")
    assert schedule.cron_schedule == SCHEDULE_CRON == "0 6 * * *"
    assert schedule.execution_timezone == SCHEDULE_TIMEZONE == "Asia/Tokyo"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "cswh_job"
    requests = schedule.evaluate_tick(dg.build_schedule_context()).run_requests
    assert len(requests) == 1


def test_sensor_fires_once_a_new_file_is_complete(definitions, tmp_path: Path) -> None:
    sensor = definitions.defs.resolve_sensor_def("landing_zone_sensor")
    zone, serving = tmp_path / "raw", tmp_path / "serving.duckdb"
    (zone / "nps").mkdir(parents=True)
    (zone / "crm").mkdir()
    (zone / "crm" / "accounts.csv").write_text("account_id\n1\n")
    _publish_manifest(serving, ["crm/accounts.csv"])  # already loaded and published

    result, cursor = _tick(sensor, zone, serving, None)
    assert isinstance(result, dg.SkipReason) and "no new files" in result.skip_message

    (zone / "nps" / "responses_2026-11.csv").write_text("response_id\nr1\n")
    result, cursor = _tick(sensor, zone, serving, cursor)
    assert isinstance(result, dg.SkipReason), "picked up before it was seen complete"
    assert "nps/responses_2026-11.csv" in json.loads(cursor)

    result, cursor = _tick(sensor, zone, serving, cursor)
    assert isinstance(result, dg.RunRequest)
    keys = set(result.asset_selection)
    assert dg.AssetKey(["raw", "nps__responses"]) in keys
    assert dg.AssetKey(["serving", "publish"]) in keys
    assert dg.AssetKey(["raw", "crm__accounts"]) not in keys, (
        "unchanged sources are not re-extracted"
    )
    assert result.tags["cswh/sources"] == "nps"

    # The same unchanged zone yields the same run key: Dagster launches it only once.
    again, _ = _tick(sensor, zone, serving, cursor)
    assert isinstance(again, dg.RunRequest) and again.run_key == result.run_key


def test_sensor_waits_while_a_file_grows(definitions, tmp_path: Path) -> None:
    sensor = definitions.defs.resolve_sensor_def("landing_zone_sensor")
    zone, serving = tmp_path / "raw", tmp_path / "serving.duckdb"
    (zone / "support").mkdir(parents=True)
    growing = zone / "support" / "tickets_2026-11.jsonl"
    growing.write_text('{"id": "1"}\n')
    _, cursor = _tick(sensor, zone, serving, None)
    with growing.open("a") as f:  # the export is still being written
        f.write('{"id": "2"}\n')
    result, cursor = _tick(sensor, zone, serving, cursor)
    assert isinstance(result, dg.SkipReason) and "still changing" in result.skip_message
    result, _ = _tick(sensor, zone, serving, cursor)
    assert isinstance(result, dg.RunRequest)
    assert dg.AssetKey(["raw", "support__tickets"]) in set(result.asset_selection)


def test_every_dbt_source_is_produced_by_an_extraction_asset(definitions) -> None:
    """The lineage graph is one connected picture from landing zone to mart."""
    graph = definitions.defs.resolve_asset_graph()
    extract_keys = {k for a in definitions.extract_assets for k in a.keys}
    dbt_upstream = {
        dep for key in definitions.dbt_models.keys for dep in graph.get(key).parent_keys
    }
    raw_deps = {k for k in dbt_upstream if k.path[0] == "raw"}
    assert raw_deps, "dbt models do not depend on any raw table"
    assert raw_deps <= extract_keys
    publish_parents = graph.get(dg.AssetKey(["serving", "publish"])).parent_keys
    assert publish_parents and all(k.path[0] == "marts" for k in publish_parents)
