"""One writer at a time: two `cswh run` started together both succeed, one after the other;
the second waits on the warehouse lock with a message instead of failing on DuckDB's lock."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from tests.crash_support import WatchedRun, query, serving_state
from tests.support import PROJECT_ROOT, cswh_env

pytestmark = pytest.mark.slow

RUN_TIMEOUT = 1800  # both runs, one after the other, on a shared 2-core machine

WAITING = "another run is writing"
CONTINUING = "the other run finished; continuing"


def test_two_runs_started_together_both_succeed_in_turn(tiny_zone: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    shutil.copytree(tiny_zone, root / "raw")
    env = cswh_env(root)

    t0 = time.monotonic()
    runs = [WatchedRun.start(env), WatchedRun.start(env)]
    codes = [r.finish(timeout=RUN_TIMEOUT) for r in runs]
    elapsed = time.monotonic() - t0
    print(f"two runs started together finished after {elapsed:.0f} s, exit {codes}")
    for r, code in zip(runs, codes, strict=True):
        assert code == 0, r.output[-4000:]

    # Exactly one of them met the other's lock, said so, and went on after it.
    waited = [r for r in runs if WAITING in r.output]
    assert len(waited) == 1, [r.output[-2000:] for r in runs]
    assert CONTINUING in waited[0].output
    first = next(r for r in runs if r is not waited[0])
    assert "succeeded" in first.output and "succeeded" in waited[0].output

    # One after the other: the second published last, and never overlapped the first.
    serving = root / "warehouse" / "serving.duckdb"
    state = serving_state(serving)
    assert len(state["published_runs"]) == 2
    assert state["accounts"] == 40
    # The first run loaded every file; the second found nothing new.
    manifest = query(serving, "select file, count(*) from dq.load_manifest group by file")
    landed = [p for p in (root / "raw").rglob("*") if p.is_file()]
    assert len(manifest) == len(landed)
    assert {n for _, n in manifest} == {1}
    _assert_runs_did_not_overlap(root / "dagster_home")
    # The second build on this warehouse started from the first one's parse state.
    second_id = re.search(r"run ([0-9a-f-]{36}): succeeded", waited[0].output).group(1)
    (dbt_log,) = (PROJECT_ROOT / "dbt" / "target").glob(f"dbt_models-{second_id[:7]}-*/dbt.log")
    assert "Unable to do partial parsing" not in dbt_log.read_text()


def _assert_runs_did_not_overlap(dagster_home: Path) -> None:
    """In the shared Dagster history: both runs succeeded, and the one that waited wrote its
    first asset only after the other run had ended. (Its first step may *start* earlier: the
    lock is taken when that step initialises the warehouse resource.)"""
    import dagster as dg

    from dagster_project.run import open_instance

    with open_instance(dagster_home) as instance:
        runs = instance.get_runs()
        assert len(runs) == 2
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        spans = []
        for r in runs:
            records = instance.get_records_for_run(
                r.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            ).records
            first_write = min(rec.event_log_entry.timestamp for rec in records)
            spans.append((first_write, instance.get_run_stats(r.run_id).end_time))
    spans.sort()
    (_, first_end), (second_first_write, _) = spans
    assert first_end <= second_first_write
