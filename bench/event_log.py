"""What Dagster's event log costs a `cswh run`: wall time of a tiny run and the time spent
storing its events, median of several runs.

    python bench/event_log.py [--repeats 5] [--accounts 40] [--dagster-yaml FILE]

Each repeat is a new `cswh run` process on an empty warehouse and an empty DAGSTER_HOME
(a first run), followed by a second run on the same state (nothing new to load: the
shape of a quiet day). The process times every call of Dagster's
``SqliteEventLogStorage.store_event`` -- the storage cswh's dagster.yaml selects, or a
subclass of it -- so the figure is the storage's own cost, not the events' creation.
The landing zone is generated once under bench/.cache/. ``--dagster-yaml`` measures another
instance configuration (e.g. a Postgres storage): the file is put in each DAGSTER_HOME, and
cswh leaves a dagster.yaml it did not write alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import run_env  # bench/bench.py, beside this script

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"


def child(figures: Path) -> int:
    """`cswh run` in this process, with Dagster's SQLite event store timed."""
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

    times: list[float] = []
    store = SqliteEventLogStorage.store_event

    def timed_store(self, event) -> None:
        t0 = time.perf_counter()
        store(self, event)
        times.append(time.perf_counter() - t0)

    SqliteEventLogStorage.store_event = timed_store
    from dagster_project.cli import main

    status = main(["run"])
    figures.write_text(json.dumps({"status": status, "store_seconds": times}))
    return status


def _zone(accounts: int) -> Path:
    zone = CACHE / f"zone-{accounts}-7-tiny"
    if not (zone / ".complete").exists():
        shutil.rmtree(zone, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "dagster_project.cli", "generate", "--out", str(zone)]
            + ["--accounts", str(accounts), "--seed", "7"]
            + ["--start", "2025-11-01", "--end", "2026-10-31"],
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (zone / ".complete").touch()
    return zone


def _measured(root: Path, zone: Path) -> dict:
    figures = root / "figures.json"
    t0 = time.perf_counter()
    with open(root / "run.log", "a") as log:
        subprocess.run(
            [sys.executable, __file__, "--child", str(figures)],
            env=run_env(root, zone, CSWH_DUCKDB_MEMORY="2GB"),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    wall = time.perf_counter() - t0
    data = json.loads(figures.read_text()) if figures.exists() else {"status": "no figures"}
    if data["status"] != 0:
        raise SystemExit(f"cswh run ended {data['status']}: see {root / 'run.log'}")
    figures.unlink()
    store = data["store_seconds"]
    return {
        "wall_s": wall,
        "events": len(store),
        "store_s": sum(store),
        "ms_per_event": 1000 * statistics.median(store),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--accounts", type=int, default=40)
    p.add_argument("--dagster-yaml", type=Path, help="instance config to measure instead")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child)
    CACHE.mkdir(parents=True, exist_ok=True)
    zone = _zone(args.accounts)
    first, second = [], []
    for i in range(args.repeats):
        with tempfile.TemporaryDirectory(prefix="cswh-bench-events-") as tmp:
            root = Path(tmp)
            if args.dagster_yaml:
                (root / "dagster_home").mkdir()
                shutil.copy(args.dagster_yaml, root / "dagster_home" / "dagster.yaml")
            first.append(_measured(root, zone))
            second.append(_measured(root, zone))
        print(f"repeat {i + 1}: first {first[-1]}, second {second[-1]}", flush=True)
    print(f"\n{args.accounts} accounts, median of {args.repeats}")
    print("| run | wall | events stored | time storing them | median per event |")
    print("|---|---|---|---|---|")
    for name, runs in (("first run", first), ("second run (nothing new)", second)):
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"| {name} | {med['wall_s']:.1f} s | {med['events']:,.0f} | {med['store_s']:.1f} s "
            f"| {med['ms_per_event']:.1f} ms |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
