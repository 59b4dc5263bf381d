"""`make bench SCALE=N`: how long a full run and a daily run take at N accounts, against the
engine's own limit for the same data. Prints a table; refuses to print figures of a run
that failed.

    python bench/bench.py --accounts 10000 [--repeats 1] [--markdown bench/RESULTS.md]

The landing zone is generated once per scale and seed and cached under bench/.cache/.
Each measured run starts from an empty warehouse so that it is a full run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / ".cache"
CSWH = [sys.executable, "-m", "dagster_project.cli"]


class BenchError(RuntimeError):
    """A measured step failed: no figure is printed for it."""


@dataclass
class RunFigures:
    wall_s: float
    peak_rss_mb: float
    phases: dict[str, float] = field(default_factory=dict)
    slowest_models: list[tuple[str, float]] = field(default_factory=list)


def _env(root: Path, zone: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSWH_")}
    env.update(
        CSWH_DATA_DIR=str(zone),
        CSWH_WAREHOUSE=str(root / "warehouse.duckdb"),
        CSWH_SERVING=str(root / "serving.duckdb"),
        CSWH_APP_DB=str(root / "app.sqlite"),
        CSWH_DOCS_DIR=str(root / "docs"),
        DAGSTER_HOME=str(root / "dagster_home"),
    )
    return env


def _run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
        raise BenchError(f"{' '.join(cmd[2:4])} exited {proc.returncode}:\n{tail}")
    return elapsed


def generated_zone(accounts: int, seed: int) -> tuple[Path, float | None]:
    """The cached landing zone, generated if missing (its generation time if it was)."""
    zone = CACHE / f"zone-{accounts}-{seed}"
    if (zone / ".complete").exists():
        return zone, None
    shutil.rmtree(zone, ignore_errors=True)
    elapsed = _run(
        [*CSWH, "generate", "--out", str(zone), "--accounts", str(accounts), "--seed", str(seed)]
    )
    (zone / ".complete").write_text(json.dumps({"seconds": elapsed}))
    return zone, elapsed


def _phases(dagster_home: Path) -> dict[str, float]:
    """Seconds per phase of the latest run, from Dagster's own step statistics."""
    import dagster as dg

    from dagster_project.run import open_instance

    with open_instance(dagster_home) as instance:
        run = instance.get_runs(limit=1)[0]
        if run.status != dg.DagsterRunStatus.SUCCESS:
            raise BenchError(f"run {run.run_id} ended {run.status}")
        phases: dict[str, float] = {}
        for step in instance.get_run_step_stats(run.run_id):
            if step.start_time is None or step.end_time is None:
                continue
            key = step.step_key
            phase = (
                "extract"
                if key.startswith("extract_")
                else "dbt build"
                if key.startswith("dbt_models")
                else "publish"
                if "publish" in key
                else "quality checks"
            )
            phases[phase] = phases.get(phase, 0.0) + step.end_time - step.start_time
    return phases


def _slowest_models(n: int = 5) -> list[tuple[str, float]]:
    """The slowest dbt nodes of the latest dbt invocation (dagster-dbt target folders)."""
    results = sorted(
        (ROOT / "dbt" / "target").glob("*/run_results.json"), key=lambda p: p.stat().st_mtime
    )
    if not results:
        return []
    data = json.loads(results[-1].read_text())
    timed = [
        (r["unique_id"].split(".")[-1], float(r.get("execution_time") or 0.0))
        for r in data["results"]
        if r["unique_id"].startswith(("model.", "seed."))
    ]
    return sorted(timed, key=lambda t: -t[1])[:n]


def measured_run(root: Path, zone: Path, fresh: bool) -> RunFigures:
    if fresh:
        shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    wall = _run([*CSWH, "run"], env=_env(root, zone))
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return RunFigures(
        wall_s=wall,
        # ru_maxrss of children is the largest single descendant (the pipeline or dbt).
        peak_rss_mb=max(peak_kb, before) / 1024,
        phases=_phases(root / "dagster_home"),
        slowest_models=_slowest_models(),
    )


def floor_seconds(zone: Path) -> tuple[float, int]:
    """The engine's limit: one DuckDB query that scans and aggregates the same usage files."""
    con = duckdb.connect()
    t0 = time.perf_counter()
    (rows,) = con.execute(
        "select sum(n) from (select account_id, activity_date, count(*) as n, "
        "sum(event_count) as events from read_parquet(?) group by all)",
        [str(zone / "usage" / "daily" / "**" / "*.parquet")],
    ).fetchone()
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed, int(rows or 0)


def append_day(zone: Path, work: Path) -> Path:
    """A copy of the zone (hard links) plus one new day of usage, a few tickets and NPS answers."""
    import pyarrow.parquet as pq

    day_zone = work / "zone-plus-one-day"
    shutil.rmtree(day_zone, ignore_errors=True)
    shutil.copytree(zone, day_zone, copy_function=os.link)
    days = sorted((day_zone / "usage" / "daily").rglob("*.parquet"))
    last = days[-1]
    table = pq.read_table(last)
    last_date = max(table.column("activity_date").to_pylist())
    new_date = last_date + dt.timedelta(days=1)
    import pyarrow as pa

    table = table.set_column(
        table.schema.get_field_index("activity_date"),
        "activity_date",
        pa.array([new_date] * table.num_rows, type=table.schema.field("activity_date").type),
    )
    target = (
        day_zone
        / "usage"
        / "daily"
        / f"{new_date:%Y}"
        / f"{new_date:%m}"
        / f"usage_{new_date}.parquet"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target)
    _append_text_delivery(day_zone / "support", "tickets", ".jsonl", new_date)
    _append_text_delivery(day_zone / "nps", "responses", ".csv", new_date)
    return day_zone


def _append_text_delivery(folder: Path, stem: str, suffix: str, day: dt.date) -> None:
    """Re-deliver the last few records of the latest file as a new, later file."""
    files = sorted(folder.glob(f"{stem}*{suffix}"))
    if not files:
        return
    raw = files[-1].read_bytes()
    lines = raw.splitlines(keepends=True)
    head = lines[:1] if suffix == ".csv" else []
    body = lines[1:] if suffix == ".csv" else lines
    (folder / f"{stem}_{day}_bench{suffix}").write_bytes(b"".join(head + body[-5:]))


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--accounts", type=int, default=1000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeats", type=int, default=1, help="full runs to take the median of")
    p.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = p.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    work = CACHE / f"work-{args.accounts}"
    try:
        zone, gen_s = generated_zone(args.accounts, args.seed)
        runs = [measured_run(work / f"full-{i}", zone, fresh=True) for i in range(args.repeats)]
        floor_s, usage_rows = floor_seconds(zone)
        day_zone = append_day(zone, work)
        # The daily run continues the last full run's warehouse with one more day landed.
        last = work / f"full-{args.repeats - 1}"
        daily = RunFigures(wall_s=_run([*CSWH, "run"], env=_env(last, day_zone)), peak_rss_mb=0)
        daily.phases = _phases(last / "dagster_home")
    except BenchError as exc:
        print(f"benchmark failed; no figures printed.\n{exc}", file=sys.stderr)
        return 1
    full = statistics.median(r.wall_s for r in runs)
    rep = runs[len(runs) // 2]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"cswh benchmark — {args.accounts:,} accounts, {usage_rows:,} usage rows — "
        f"{dt.date.today()} — commit {commit} — {os.cpu_count()} cores",
        "",
        "| figure | value |",
        "|---|---|",
        f"| generation (cached: {'no' if gen_s else 'yes'}) | {f'{gen_s:.1f} s' if gen_s else 'cached'} |",
        f"| full run, end to end (median of {len(runs)}) | {full:.1f} s |",
    ]
    lines += [f"| — {name} | {sec:.1f} s |" for name, sec in sorted(rep.phases.items())]
    lines += [f"| — — dbt model {name} | {sec:.1f} s |" for name, sec in rep.slowest_models]
    lines += [
        f"| peak RSS (largest process) | {rep.peak_rss_mb:,.0f} MB |",
        f"| usage rows per second (full run) | {usage_rows / full:,.0f} |",
        f"| floor: one DuckDB scan + aggregate of the usage files | {floor_s:.1f} s |",
        f"| full run / floor | {full / floor_s:.1f}x |",
        f"| incremental day (one new day, a few tickets and NPS) | {daily.wall_s:.1f} s |",
        f"| incremental day / full run | {daily.wall_s / full:.1%} |",
    ]
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(
            f"# Benchmark results\n\nLatest run on this machine (`make bench SCALE={args.accounts}`).\n\n{table}\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
