"""When runs happen without anyone pressing a button: the morning schedule and the
landing-zone sensor."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb

from dagster_project.extract import zone
from dagster_project.resources import LandingZone, ServingCopy
from dagster_project.sources import ENTITIES

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

SCHEDULE_CRON = "0 6 * * *"  # every morning at 06:00 ...
SCHEDULE_TIMEZONE = "Asia/Tokyo"  # ... Japan time, before the CS team starts
SENSOR_INTERVAL_SECONDS = 60


def landing_files(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Every file of the landing zone that some entity's glob matches: path -> (size, mtime_ns).

    Named as extraction names them in the manifest (extract/zone.py: odd names escaped, a
    symlinked folder pointing outside listed as itself); a refused name reads (0, 0), so it
    starts one run, which records it, and is known from then on."""
    found: dict[str, tuple[int, int]] = {}
    for source in dict.fromkeys(e.source for e in ENTITIES):
        entities = [e for e in ENTITIES if e.source == source]
        for f in zone.walk(data_dir, source):
            if not any(zone.matches(e, f) for e in entities):
                continue
            if f.path is None:
                found[f.rel] = (0, 0)
                continue
            try:
                stat = f.path.stat()
            except OSError:
                continue  # gone since the walk: the next tick sees what is there
            found[f.rel] = (stat.st_size, stat.st_mtime_ns)
    return found


def published_files(serving: Path) -> set[str]:
    """Files the last published run already knows (read from the serving copy, which the
    pipeline never locks)."""
    if not serving.exists():
        return set()
    try:
        con = duckdb.connect(str(serving), read_only=True)
    except duckdb.Error:
        return set()
    try:
        return {r[0] for r in con.execute("select distinct file from dq.load_manifest").fetchall()}
    except duckdb.Error:
        return set()
    finally:
        con.close()


@dataclass(frozen=True)
class ZoneScan:
    ready: list[str]  # new files whose size and mtime did not change since the last look
    pending: dict[str, tuple[int, int]]  # new files as seen now (the next cursor)


def scan(
    current: Mapping[str, tuple[int, int]],
    known: set[str],
    previous: Mapping[str, Sequence[int]],
) -> ZoneScan:
    """A file is picked up once it is new and looked the same on two consecutive ticks, so
    a file still being copied in (its size growing) waits for the next tick."""
    new = {path: stat for path, stat in current.items() if path not in known}
    ready = sorted(p for p, stat in new.items() if tuple(previous.get(p, ())) == tuple(stat))
    return ZoneScan(ready=ready, pending=new)


def source_of(path: str) -> str:
    return path.split("/", 1)[0]


def build_schedule(
    job: "UnresolvedAssetJobDefinition",
) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="cswh_daily",
        job=job,
        cron_schedule=SCHEDULE_CRON,
        execution_timezone=SCHEDULE_TIMEZONE,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="The whole pipeline every morning at 06:00 Japan time.",
    )


def build_landing_zone_sensor(
    job: "UnresolvedAssetJobDefinition",
    selection_by_source: Mapping[str, Sequence[dg.AssetKey]],
) -> dg.SensorDefinition:
    """New complete files start a run of their sources' extraction and everything downstream."""

    @dg.sensor(
        name="landing_zone_sensor",
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts a run when new files have landed and stopped growing.",
    )
    def landing_zone_sensor(
        context: dg.SensorEvaluationContext, landing_zone: LandingZone, serving: ServingCopy
    ):
        data_dir = Path(landing_zone.path)
        previous = json.loads(context.cursor) if context.cursor else {}
        result = scan(landing_files(data_dir), published_files(Path(serving.path)), previous)
        context.update_cursor(json.dumps(result.pending, sort_keys=True))
        if not result.ready:
            waiting = len(result.pending)
            return dg.SkipReason(
                f"{waiting} new file(s) still changing; waiting" if waiting else "no new files"
            )
        sources = sorted({source_of(p) for p in result.ready})
        keys = sorted(
            {k for s in sources for k in selection_by_source.get(s, [])}, key=lambda k: k.path
        )
        fingerprint = json.dumps({p: result.pending[p] for p in result.ready}, sort_keys=True)
        return dg.RunRequest(
            run_key=hashlib.sha256(fingerprint.encode()).hexdigest()[:16],
            asset_selection=keys,
            tags={"cswh/trigger": "landing_zone", "cswh/sources": ",".join(sources)},
        )

    return landing_zone_sensor
