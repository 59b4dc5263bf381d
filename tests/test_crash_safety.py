"""Crash safety: `cswh run` killed with SIGKILL (the whole process group, dbt included) during
extraction, during dbt and during publish. While killed, the serving copy stays readable at its
last good state; the next plain `cswh run` completes without manual clean-up, loads every
landed file exactly once and ends with the raw row counts of an uninterrupted load.

A baseline run publishes the zone without its October deliveries; each phase test copies that
state, lands October, starts a run, kills it in its phase and runs again."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pytest

from tests.crash_support import WatchedRun, leftovers, query, raw_counts, serving_state
from tests.support import cswh_env, run_cswh

pytestmark = pytest.mark.slow

RUN_TIMEOUT = 1500  # seconds; the machine is shared and has 2 cores


def _is_october(rel: Path) -> bool:
    text = rel.as_posix()
    return "2026-10" in text or "2026/10" in text or "2026-Q4" in text


def _zone_files(zone: Path) -> list[str]:
    return sorted(p.relative_to(zone).as_posix() for p in zone.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def reference_counts(tiny_zone: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    """Raw row counts of one uninterrupted load of the whole zone."""
    from dagster_project.extract import ensure_schemas, load_source
    from dagster_project.sources import SOURCES

    db = (
        tmp_path_factory.mktemp("reference") / "reference.duckdb"
    )  # not raw.duckdb: catalog "raw" would shadow schema raw
    con = duckdb.connect(str(db))
    try:
        ensure_schemas(con)
        for source in SOURCES:
            load_source(con, tiny_zone, source, run_id="reference")
    finally:
        con.close()
    return raw_counts(db)


@pytest.fixture(scope="module")
def baseline(tiny_zone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A published state: the zone up to September, run once."""
    root = tmp_path_factory.mktemp("baseline")
    shutil.copytree(
        tiny_zone,
        root / "raw",
        ignore=lambda d, names: [
            n for n in names if _is_october(Path(d, n).relative_to(tiny_zone))
        ],
    )
    t0 = time.monotonic()
    result = run_cswh("run", env=cswh_env(root), timeout=RUN_TIMEOUT)
    print(f"baseline run: {time.monotonic() - t0:.0f} s")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return root


def _land_october(tiny_zone: Path, zone: Path) -> list[str]:
    landed = []
    for path in sorted(tiny_zone.rglob("*")):
        rel = path.relative_to(tiny_zone)
        if path.is_file() and _is_october(rel):
            (zone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, zone / rel)
            landed.append(rel.as_posix())
    return landed


def _tmp_serving(root: Path) -> bool:
    return any(p.name.endswith(".tmp") for p in (root / "warehouse").iterdir())


# phase -> how the test knows the run is in it (a line of `cswh run`'s output, or a file)
PHASES = {
    # an October file committed while the extraction step's connection is still open
    "extract": r"extract_\w+ - \S*2026-10\S*: \d+ rows loaded",
    # dbt has built a few dozen nodes and is writing more
    "dbt": r"^\s*[5-9]\d of \d+ (OK|PASS|START)",
    # the publish step is writing the new serving copy next to the old one
    "publish": None,
}


@pytest.mark.parametrize("phase", list(PHASES))
def test_sigkill_then_rerun(
    phase: str,
    baseline: Path,
    tiny_zone: Path,
    reference_counts: dict[str, int],
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    shutil.copytree(baseline, root)
    env = cswh_env(root)
    serving = root / "warehouse" / "serving.duckdb"
    warehouse = root / "warehouse" / "warehouse.duckdb"
    before = serving_state(serving)
    landed = _land_october(tiny_zone, root / "raw")
    assert landed

    run = WatchedRun.start(env)
    pattern = PHASES[phase]
    condition = run.saw(pattern) if pattern else (lambda: _tmp_serving(root))
    reached = run.wait_for(condition, timeout=RUN_TIMEOUT)
    assert reached, f"the run never reached {phase}:\n{run.output[-3000:]}"
    killed = run.kill_group()
    killed_after = time.monotonic() - run.started
    assert run.group_members() == [], "a process of the killed run survived"
    left = leftovers(root / "warehouse")
    print(
        f"[{phase}] killed {len(killed)} process(es) after {killed_after:.0f} s; "
        f"left behind: {left}"
    )

    # While the pipeline is dead: the serving copy is the last good one, and it reads.
    assert serving_state(serving) == before

    t0 = time.monotonic()
    result = run_cswh("run", env=env, timeout=RUN_TIMEOUT)
    print(f"[{phase}] recovery run: {time.monotonic() - t0:.0f} s, exit {result.returncode}")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The killed run does not stay "started" forever in the history `cswh ui` shows.
    assert "(killed?): marked failed" in result.stdout
    _assert_history(root / "dagster_home")

    after = serving_state(serving)
    assert after["published_runs"][:-1] == before["published_runs"]
    assert after["accounts"] == before["accounts"] == 40
    assert leftovers(root / "warehouse") == [p for p in left if not p.endswith((".tmp", ".wal"))]
    # Every landed file exactly once, loaded; none lost, none loaded twice.
    manifest = query(
        serving, "select file, status, count(*) over (partition by file) from dq.load_manifest"
    )
    assert sorted(f for f, _, _ in manifest) == _zone_files(root / "raw")
    assert {s for _, s, _ in manifest} == {"loaded"}
    assert max(n for _, _, n in manifest) == 1
    # The raw layer holds exactly what one uninterrupted load of the zone holds.
    assert raw_counts(warehouse) == reference_counts


def _assert_history(dagster_home: Path) -> None:
    import dagster as dg

    from dagster_project.run import open_instance

    with open_instance(dagster_home) as instance:
        statuses = [r.status for r in reversed(instance.get_runs())]  # oldest first
    assert statuses == [
        dg.DagsterRunStatus.SUCCESS,  # baseline
        dg.DagsterRunStatus.FAILURE,  # killed, closed by the next run
        dg.DagsterRunStatus.SUCCESS,  # recovery
    ]
