"""`make bench SCALE=N`: how long a full run and a daily run take at N accounts, whether the
daily run grows with the history, and the engine's own limit for the same data. Prints a
table; refuses to print figures of a run that failed.

    python bench/bench.py --accounts 10000 [--repeats 1] [--daily-repeats 3]
                          [--long-history-years 5] [--markdown bench/RESULTS.md]
    python bench/bench.py --accounts 1000 --engine spark [--markdown bench/RESULTS.md]

With --engine spark (`make bench SCALE=1000 ENGINE=spark`) a full run is made on both engines,
from the same zone, one after the other, and printed side by side with each phase and the
ratio (issue 18): Spark in local mode on this machine, not a cluster.

The landing zones are generated once per scale, seed and span and cached under bench/.cache/
(their generation time is kept with them): the generator's default 18 months, and with
--long-history-years the same accounts over that many years. Each full run starts from an
empty warehouse. Each daily run restores the last full run's state in the same place (the
next day's scheduled run sees the same paths) and lands one more day: one day of usage and a
few re-delivered tickets and NPS answers. Peak RSS is the largest sum of the resident memory
of `cswh run` and all its children (dbt), sampled every 0.2 s. The overview page is run
headless (Streamlit AppTest) on the serving copy with empty caches, as a manager's first
visit after a publish.

The floor is the heaviest aggregation the marts need, done once by DuckDB alone: account x
week x feature events and distinct users over the same usage files. The full run is printed
as a multiple of it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.config import DBT_PROJECT_DIR

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
    steps: dict[str, float] = field(default_factory=dict)  # seconds per Dagster step


def run_env(root: Path, zone: Path, **extra: str) -> dict[str, str]:
    """Environment of a measured `cswh run` whose files all live under ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSWH_")}
    env.update(
        CSWH_DATA_DIR=str(zone),
        CSWH_WAREHOUSE=str(root / "warehouse.duckdb"),
        CSWH_SERVING=str(root / "serving.duckdb"),
        CSWH_APP_DB=str(root / "app.sqlite"),
        CSWH_DOCS_DIR=str(root / "docs"),
        DAGSTER_HOME=str(root / "dagster_home"),
        # Beside the warehouse, not beside the shared cached zone: each run's own state.
        CSWH_LAKE=str(root / "lake"),
        **extra,
    )
    return env


def _tree_rss(root_pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended between listing and reading
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])  # ppid
        rss[pid] = int(fields[21]) * page  # rss in pages
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier += children
    return sum(rss.get(pid, 0) for pid in tree)


def _run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command to its end: (wall seconds, peak RSS of its process tree in MB)."""
    t0 = time.perf_counter()
    with open(CACHE / "last-command.log", "w") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        lines = (CACHE / "last-command.log").read_text(errors="replace").splitlines()
        tail = "\n".join(lines[-25:])
        raise BenchError(f"{' '.join(cmd[2:4])} exited {proc.returncode}:\n{tail}")
    return elapsed, peak / 2**20


def generated_zone(accounts: int, seed: int, years: int | None = None) -> tuple[Path, float, bool]:
    """The cached landing zone, generated if missing: (zone, generation seconds, cached).
    ``years``: that many years of history up to the generator's default end, instead of its
    default span."""
    from dagster_project.synthetic.generator import DEFAULT_END

    zone = CACHE / (f"zone-{accounts}-{seed}" + (f"-{years}y" if years else ""))
    if (zone / ".complete").exists():
        return zone, json.loads((zone / ".complete").read_text())["seconds"], True
    shutil.rmtree(zone, ignore_errors=True)
    span = (
        ["--start", DEFAULT_END.replace(year=DEFAULT_END.year - years).isoformat()] if years else []
    )
    elapsed, _ = _run(
        [
            *CSWH,
            "generate",
            "--out",
            str(zone),
            "--accounts",
            str(accounts),
            "--seed",
            str(seed),
            *span,
        ]
    )
    (zone / ".complete").write_text(json.dumps({"seconds": elapsed}))
    return zone, elapsed, False


def _step_seconds(dagster_home: Path) -> dict[str, float]:
    """Seconds per step of the latest run, from Dagster's own step statistics."""
    import dagster as dg

    from dagster_project.run import open_instance

    with open_instance(dagster_home) as instance:
        run = instance.get_runs(limit=1)[0]
        if run.status != dg.DagsterRunStatus.SUCCESS:
            raise BenchError(f"run {run.run_id} ended {run.status}")
        return {
            step.step_key: step.end_time - step.start_time
            for step in instance.get_run_step_stats(run.run_id)
            if step.start_time is not None and step.end_time is not None
        }


def _phase(step_key: str) -> str:
    if step_key.startswith("extract_"):
        return "extract"
    if step_key.startswith("dbt_models"):
        return "dbt build"
    if step_key == "docs__data_docs":
        return "data docs"
    return "publish" if "publish" in step_key else "quality checks"


def _slowest_models(n: int = 5) -> list[tuple[str, float]]:
    """The slowest dbt nodes of the latest dbt build (dagster-dbt target folders; a Spark run
    ends with a `run-operation`, whose results hold no model)."""
    results = sorted(
        (DBT_PROJECT_DIR / "target").glob("*/run_results.json"), key=lambda p: p.stat().st_mtime
    )
    for path in reversed(results):
        data = json.loads(path.read_text())
        timed = [
            (r["unique_id"].split(".")[-1], float(r.get("execution_time") or 0.0))
            for r in data["results"]
            if r["unique_id"].startswith(("model.", "seed."))
        ]
        if timed:
            return sorted(timed, key=lambda t: -t[1])[:n]
    return []


def measured_run(root: Path, zone: Path, engine: str = "duckdb") -> RunFigures:
    """`cswh run` on the warehouse under root (whatever state it is in) and the zone."""
    root.mkdir(parents=True, exist_ok=True)
    wall, peak_mb = _run([*CSWH, "run", "--engine", engine], env=run_env(root, zone))
    steps = _step_seconds(root / "dagster_home")
    phases: dict[str, float] = defaultdict(float)
    for key, seconds in steps.items():
        phases[_phase(key)] += seconds
    return RunFigures(
        wall_s=wall,
        peak_rss_mb=peak_mb,
        phases=phases,
        slowest_models=_slowest_models(),
        steps=steps,
    )


# The lake and the Spark folder (metastore, tables) are state too on the Spark engine.
STATE = (
    "warehouse.duckdb",
    "serving.duckdb",
    "dagster_home",
    "docs",
    "lake",
    "warehouse.duckdb.spark",
)


def copy_state(source: Path, target: Path) -> None:
    """The warehouse, serving copy, Dagster history and reports of a finished run, copied."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in STATE:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
        elif (source / name).exists():
            shutil.copy2(source / name, target / name)


def overview_page_seconds(serving: Path, repeats: int = 5) -> list[float]:
    """The dashboard's overview page computed on the serving copy, caches emptied each time."""
    import streamlit as st
    from streamlit import logger as streamlit_logger
    from streamlit.testing.v1 import AppTest

    # AppTest runs pages without a server; Streamlit warns about that on every cache call.
    streamlit_logger.set_log_level("error")
    os.environ["CSWH_SERVING"] = str(serving)
    app = str(ROOT / "dashboards" / "streamlit_app.py")
    AppTest.from_file(app, default_timeout=120).run()  # imports, warm
    times = []
    for _ in range(repeats):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(app, default_timeout=120)
        t0 = time.perf_counter()
        at.run()  # the default page: overview
        times.append(time.perf_counter() - t0)
        if at.exception:
            raise BenchError(f"overview page raised: {[e.value for e in at.exception]}")
        if not at.metric:
            raise BenchError("overview page showed no KPI")
    return times


def usage_rows(zone: Path) -> int:
    """Usage rows of a landing zone (from the Parquet footers)."""
    con = duckdb.connect()
    try:
        files = str(zone / "usage" / "daily" / "**" / "*.parquet")
        return int(con.execute("select count(*) from read_parquet(?)", [files]).fetchone()[0])
    finally:
        con.close()


def floor_seconds(zone: Path, repeats: int = 3) -> float:
    """The engine's limit for the heaviest aggregation the marts need: one DuckDB query over
    the same usage files computing account x week x feature events and distinct users
    (median of `repeats`)."""
    files = str(zone / "usage" / "daily" / "**" / "*.parquet")
    times = []
    for _ in range(repeats):
        con = duckdb.connect()
        t0 = time.perf_counter()
        con.execute(
            "select count(*), sum(events), sum(users) from (select account_id, "
            "date_trunc('week', activity_date) as week, feature, sum(event_count) as events, "
            "count(distinct user_id) as users from read_parquet(?) group by all)",
            [files],
        ).fetchall()
        times.append(time.perf_counter() - t0)
        con.close()
    return statistics.median(times)


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


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def _median_run(runs: list[RunFigures]) -> RunFigures:
    return sorted(runs, key=lambda r: r.wall_s)[len(runs) // 2]


@dataclass
class Scale:
    """Full and daily runs on one landing zone."""

    zone: Path
    gen_s: float
    cached: bool
    full: RunFigures
    n_full: int
    daily: RunFigures
    n_daily: int
    serving: Path


def measure_zone(
    zone: Path, work: Path, repeats: int, daily_repeats: int, engine: str = "duckdb"
) -> tuple:
    """Full runs from an empty warehouse, then daily runs on the last one's state."""
    full_runs = []
    for i in range(repeats):
        shutil.rmtree(work / f"full-{i}", ignore_errors=True)
        full_runs.append(measured_run(work / f"full-{i}", zone, engine))
    last = work / f"full-{repeats - 1}"
    day_zone = append_day(zone, work)
    # Each daily run continues the full run's state in the same place, as the next day's
    # scheduled run would (same warehouse path: dbt keeps its parse state).
    copy_state(last, work / "after-full")
    daily_runs = []
    for _ in range(daily_repeats):
        copy_state(work / "after-full", last)
        daily_runs.append(measured_run(last, day_zone, engine))
    return _median_run(full_runs), _median_run(daily_runs), last / "serving.duckdb"


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--accounts", type=int, default=1000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--repeats", type=int, default=1, help="full runs (median reported)")
    p.add_argument("--daily-repeats", type=int, default=3, help="daily runs (median reported)")
    p.add_argument(
        "--long-history-years",
        type=int,
        default=0,
        help="also measure a zone with this many years of history (daily run vs history)",
    )
    p.add_argument("--markdown", type=Path, help="also write the table to this file")
    p.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="spark: a full run on Spark local beside the same run on DuckDB",
    )
    args = p.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    if args.engine == "spark":
        return compare_engines(args)
    scales: list[Scale] = []
    try:
        spans = [None] + ([args.long_history_years] if args.long_history_years else [])
        for years in spans:
            zone, gen_s, cached = generated_zone(args.accounts, args.seed, years)
            work = CACHE / (f"work-{args.accounts}" + ("" if years is None else f"-{years}y"))
            full, daily, serving = measure_zone(zone, work, args.repeats, args.daily_repeats)
            scales.append(
                Scale(zone, gen_s, cached, full, args.repeats, daily, args.daily_repeats, serving)
            )
        page_s = overview_page_seconds(scales[0].serving)
        floor_s = floor_seconds(scales[0].zone)
        rows = usage_rows(scales[0].zone)
    except BenchError as exc:
        print(f"benchmark failed; no figures printed.\n{exc}", file=sys.stderr)
        return 1
    base = scales[0]
    table = render(base)
    if len(scales) > 1:
        table += _history_rows(base, scales[1], args.long_history_years)
    table += [
        f"| overview page, computed on the serving copy (median of {len(page_s)}) "
        f"| {statistics.median(page_s):.2f} s |",
        "| floor: the heaviest aggregation the marts need, by DuckDB alone (account x week x "
        f"feature events and distinct users over the usage files; median of 3) | {floor_s:.1f} s |",
        f"| **full run / floor** (long-run aim 3x) | **{base.full.wall_s / floor_s:.1f}x** |",
        f"| usage rows per second, full run | {rows / base.full.wall_s:,.0f} |",
    ]
    return _report(args, "cswh benchmark", rows, table)


def compare_engines(args: argparse.Namespace) -> int:
    """A full run of one zone on DuckDB, then on Spark, each from an empty warehouse; printed
    side by side, phase by phase (a Spark run costs minutes, so daily runs are left to the
    DuckDB benchmark)."""
    runs: dict[str, RunFigures] = {}
    try:
        zone, _, _ = generated_zone(args.accounts, args.seed)
        for engine in ("duckdb", "spark"):
            work = CACHE / f"work-{args.accounts}-{engine}"
            shutil.rmtree(work, ignore_errors=True)
            runs[engine] = measured_run(work, zone, engine)
        rows = usage_rows(zone)
    except BenchError as exc:
        print(f"benchmark failed; no figures printed.\n{exc}", file=sys.stderr)
        return 1
    d, s = runs["duckdb"], runs["spark"]
    lines = [
        "| full run, end to end, from an empty warehouse | DuckDB | Spark local[2] | Spark / DuckDB |",
        "|---|---:|---:|---:|",
        f"| **wall time** | **{d.wall_s:.1f} s** | **{s.wall_s:.1f} s** "
        f"| **{s.wall_s / d.wall_s:.1f}x** |",
    ]
    phases_d = {**d.phases, "start-up and run machinery": d.wall_s - sum(d.steps.values())}
    phases_s = {**s.phases, "start-up and run machinery": s.wall_s - sum(s.steps.values())}
    for name in sorted(set(phases_d) | set(phases_s)):
        a, b = phases_d.get(name, 0.0), phases_s.get(name, 0.0)
        ratio = f"{b / a:.1f}x" if a > 0.05 else "-"
        lines.append(f"| — {name} | {a:.1f} s | {b:.1f} s | {ratio} |")
    lines.append(
        f"| peak RSS (cswh and its children) | {d.peak_rss_mb:,.0f} MB "
        f"| {s.peak_rss_mb:,.0f} MB | {s.peak_rss_mb / d.peak_rss_mb:.1f}x |"
    )
    for label, run in (("DuckDB", d), ("Spark", s)):
        slow = ", ".join(f"{m} {sec:.1f} s" for m, sec in run.slowest_models)
        lines.append(f"| slowest dbt nodes, {label} | {slow} | | |")
    return _report(args, "cswh benchmark, Spark local beside DuckDB", rows, lines)


def _report(args: argparse.Namespace, title: str, rows: int, table: list[str]) -> int:
    """Print the table under a line saying what was measured where; keep it in --markdown."""
    head = (
        f"{title}: {args.accounts:,} accounts, {rows:,} usage rows, {dt.date.today()}, "
        f"commit {_commit()}, {os.cpu_count()} cores, {_memory_gb():.0f} GB"
    )
    text = "\n".join([head, "", *table])
    print(text)
    if args.markdown:
        write_section(args.markdown, args.accounts, text, engine=args.engine)
    return 0


def _commit() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    # The results file itself does not count: one scale's run rewrites it before the next.
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/RESULTS.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return commit + (" (with local changes)" if dirty else "")


def write_section(markdown: Path, accounts: int, text: str, engine: str = "duckdb") -> None:
    """Replace this scale's section of the results file, keeping the other scales'."""
    title = f"## {accounts:,} accounts (`make bench SCALE={accounts}`)"
    if engine == "spark":
        title = f"## {accounts:,} accounts, Spark beside DuckDB (`make bench SCALE={accounts} ENGINE=spark`)"
    sections: dict[str, str] = {}
    if markdown.exists():
        for block in markdown.read_text().split("\n## ")[1:]:
            heading, _, body = block.partition("\n")
            sections["## " + heading] = body.strip("\n")
    sections[title] = text

    def scale(heading: str) -> tuple[int, str]:
        digits = "".join(c for c in heading.split("(")[0] if c.isdigit())
        return (int(digits) if digits else 10**9, heading)  # other sections after the scales

    order = sorted(sections, key=scale)
    body = "\n\n".join(f"{h}\n\n{sections[h]}" for h in order)
    markdown.write_text(
        "# Benchmark results\n\nThe latest run of each scale on this machine; "
        "see bench/bench.py for what each figure measures.\n\n" + body + "\n"
    )


def _run_rows(title: str, what: str, n: int, run: RunFigures, rss_label: str) -> list[str]:
    """A measured run: wall time, its phases (with their share of it), its slowest dbt
    models, its peak RSS. 'start-up and run machinery' is the wall time outside every step."""
    phases = {**run.phases, "start-up and run machinery": run.wall_s - sum(run.steps.values())}
    return [
        f"| **{title}**{what} (median of {n}) | **{run.wall_s:.1f} s** |",
        *(
            f"| — {name} | {sec:.1f} s ({sec / run.wall_s:.0%}) |"
            for name, sec in sorted(phases.items())
        ),
        *(f"| — — dbt model {name} | {sec:.1f} s |" for name, sec in run.slowest_models),
        f"| peak RSS, {rss_label} | {run.peak_rss_mb:,.0f} MB |",
    ]


def render(scale: Scale) -> list[str]:
    full, daily = scale.full, scale.daily
    return [
        "| figure | value |",
        "|---|---|",
        f"| generation of the landing zone{' (cached; time of its generation)' if scale.cached else ''} "
        f"| {scale.gen_s:.1f} s |",
        *_run_rows(
            "full run", ", end to end", scale.n_full, full, "full run (cswh and its children)"
        ),
        *_run_rows(
            "daily run",
            ": one new day of usage, 5 tickets, 5 NPS answers",
            scale.n_daily,
            daily,
            "daily run",
        ),
        f"| **daily run / full run** (target <= 10%) | **{daily.wall_s / full.wall_s:.1%}** |",
    ]


def _history_rows(base: Scale, long: Scale, years: int) -> list[str]:
    """The same accounts with a longer history: does the daily run grow with it?"""
    return [
        f"| **{years} years of history** (same accounts; {usage_rows(long.zone):,} usage rows "
        f"vs {usage_rows(base.zone):,}) | |",
        f"| — generation{' (cached)' if long.cached else ''} | {long.gen_s:.1f} s |",
        *_run_rows("— full run", "", long.n_full, long.full, f"full run, {years} years"),
        *_run_rows("— daily run", "", long.n_daily, long.daily, f"daily run, {years} years"),
        f"| **daily run, {years} years vs 18 months** (target <= +10%) "
        f"| **{long.daily.wall_s / base.daily.wall_s - 1:+.1%}** |",
    ]


if __name__ == "__main__":
    sys.exit(main())
