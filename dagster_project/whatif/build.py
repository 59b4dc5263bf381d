"""`cswh whatif`: today's health and CTA outcome against the outcome of changed seeds.

Nothing the pipeline or its readers use is touched. The working warehouse is copied (under
its single-writer lock, so never half-written) to a scratch file under ``$CSWH_WHATIF_DIR``
(default ``data/whatif``), and dbt builds there from a project shell of its own: the dbt
project's models, macros and tests linked in, its seeds folder with the changed seeds written
out, its own ``target/`` (never the pipeline's ``dbt/target``). The comparison lands in
``latest.duckdb`` beside it, replaced whole and atomically; the scratch copy is removed.

Like with like (CONTRACT section 10). The health history is anchored and the CTA ledger is
kept, not recomputed: a ledger grown by daily runs is not what the rules give when replayed
from scratch, and changed health seeds rescore the whole history. So both sides are the same
replay on the same copy and the same D (the warehouse's, meta.run_context): the ledger is
replayed (run context ``full_refresh``, the flag `cswh run --full-refresh` sets) and the
models downstream of the changed seeds are rebuilt whole, once with the proposed seeds and
once with today's. Only the models between the changed seeds (and the ledger's evaluation
dates) and the compared marts are rebuilt; the rest of the copy stays as the warehouse has it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.config import DBT_PROJECT_DIR, NO_TELEMETRY, PROJECT_ROOT, executable
from dagster_project.warehouse_lock import WarehouseLock
from dagster_project.whatif.changes import CellChange, Change, ChangeError, Rows, SeedSet

# The marts a comparison reads (CONTRACT section 3); dbt rebuilds what lies between the
# changed seeds and these.
COMPARED_MARTS = (
    "fct_account_health",
    "mart_health_calibration",
    "fct_cta_candidates",
    "dim_accounts",
)
# The model whose dates a ledger replay evaluates: everything downstream of it is replayed.
LEDGER_DATES = "int_cta_evaluation_dates"
# What the shell links from the dbt project (read by dbt; nothing is written there).
PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")
RESULT_NAME = "latest.duckdb"
SIDES = ("now", "proposed")


def whatif_dir() -> Path:
    value = os.environ.get("CSWH_WHATIF_DIR") or "data/whatif"
    path = Path(value).expanduser()
    return (path if path.is_absolute() else PROJECT_ROOT / path).resolve()


def result_path(folder: Path | None = None) -> Path:
    return (folder or whatif_dir()) / RESULT_NAME


class BuildError(RuntimeError):
    """dbt failed on the scratch copy; the message names the log."""


@dataclass
class Selection:
    seeds: list[str]  # the changed seeds that feed a compared mart
    models: list[str]  # the models rebuilt on each side
    inert: list[str] = field(default_factory=list)  # changed seeds that feed none
    seed_tests: list[str] = field(default_factory=list)  # dbt tests reading only seeds


def _graph() -> tuple[dict, dict, dict]:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return manifest["child_map"], manifest["parent_map"], manifest["nodes"]


def _closure(start: Iterable[str], edges: dict[str, list[str]]) -> set[str]:
    seen, todo = set(), list(start)
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def selection(seeds: Iterable[str]) -> Selection:
    """The models to rebuild: downstream of the changed seeds or of the ledger's evaluation
    dates, and upstream of (or one of) the compared marts."""
    children, parents, nodes = _graph()
    model = "model.cswh."
    feeding = {model + m for m in COMPARED_MARTS}
    feeding |= _closure(feeding, parents)
    used, inert = [], []
    for seed in sorted(set(seeds)):
        (used if _closure([f"seed.cswh.{seed}"], children) & feeding else inert).append(seed)
    below = _closure([f"seed.cswh.{s}" for s in used] + [model + LEDGER_DATES], children)
    below.add(model + LEDGER_DATES)
    models = sorted(n.removeprefix(model) for n in below & feeding if n.startswith(model))
    # the seeds' own tests (singular or generic) that read seeds only, at least a changed one
    changed = {f"seed.cswh.{s}" for s in used}
    tests = sorted(
        nodes[t]["name"]
        for seed in changed
        for t in children.get(seed, [])
        if t.startswith("test.") and all(p.startswith("seed.") for p in parents.get(t, []))
    )
    return Selection(used, models, inert, sorted(set(tests)))


# -- the scratch project and copy -------------------------------------------------------------


def _link(link: Path, target: Path) -> None:
    if link.is_symlink() and link.resolve() == target.resolve():
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(target)


def prepare_shell(shell: Path, seed_set: SeedSet, written: dict[str, Rows]) -> None:
    """The project shell: links to the dbt project, and a seeds folder holding links to
    today's seed files except those in ``written`` (written out as files)."""
    shell.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_ENTRIES:
        _link(shell / name, DBT_PROJECT_DIR / name)
    seeds = shell / "seeds"
    seeds.mkdir(exist_ok=True)
    for source in sorted((DBT_PROJECT_DIR / "seeds").iterdir()):
        if source.suffix == ".csv" and source.stem in written:
            target = seeds / source.name
            if target.is_symlink():
                target.unlink()
            seed_set.write(source.stem, written[source.stem], seeds)
        else:
            _link(seeds / source.name, source)


def copy_warehouse(warehouse: Path, scratch: Path, progress: Callable[[str], None] = print) -> None:
    """A consistent copy of the warehouse file (and a pending write-ahead log), taken while
    holding the warehouse's lock, so no run writes it meanwhile (a run waits for us)."""
    scratch.parent.mkdir(parents=True, exist_ok=True)
    for stale in (scratch, Path(f"{scratch}.wal")):
        stale.unlink(missing_ok=True)
    lock = WarehouseLock(warehouse)
    if not lock.acquire(blocking=False):
        progress("a pipeline run holds the warehouse: waiting for it to finish ...")
        lock.acquire()
    try:
        shutil.copyfile(warehouse, scratch)
        wal = Path(f"{warehouse}.wal")
        if wal.exists():
            shutil.copyfile(wal, f"{scratch}.wal")
    finally:
        lock.release()


def replay_context(scratch: Path) -> object:
    """Make every build on the copy a ledger replay at the warehouse's D; returns D."""
    con = duckdb.connect(str(scratch))
    try:
        found = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'meta' "
            "and table_name = 'run_context'"
        ).fetchall()[0][0]
        d = (
            con.execute("select max(as_of_date) from meta.run_context").fetchall()[0][0]
            if found
            else None
        )
        if d is None:
            raise ChangeError(
                "the warehouse has no completed run (meta.run_context holds no as-of date): "
                "run `cswh run` first"
            )
        con.execute("alter table meta.run_context add column if not exists full_refresh boolean")
        con.execute("delete from meta.run_context")
        con.execute(
            "insert into meta.run_context (as_of_date, run_id, full_refresh) values (?, 'whatif', true)",
            [d],
        )
        return d
    finally:
        con.close()


def run_dbt(shell: Path, scratch: Path, args: list[str], seeds_only: bool = False) -> None:
    """dbt on the scratch copy. With ``seeds_only`` (the proposed seeds and their tests), a
    failing test is the proposal's fault: a ChangeError naming it, not a BuildError."""
    env = {**os.environ, **NO_TELEMETRY, "CSWH_WAREHOUSE": str(scratch), "DBT_USE_COLORS": "false"}
    cmd = [executable("dbt"), *args, "--project-dir", str(shell), "--profiles-dir", str(shell)]
    proc = subprocess.run(cmd, env=env, cwd=shell, capture_output=True, text=True)
    if proc.returncode == 0:
        return
    # dbt's lines start with a time of day: "15:23:07  Failure in test ..."
    out = [re.sub(r"^\d\d:\d\d:\d\d\s+", "", ln).strip() for ln in proc.stdout.splitlines()]
    failed = [ln for ln in out if ln.startswith("Failure in test")]
    if seeds_only and failed:
        raise ChangeError("the proposed seeds fail their dbt tests: " + "; ".join(failed))
    lines = [ln for ln in out if "ERROR" in ln or "FAIL" in ln]
    detail = "\n".join(lines[-15:]) or proc.stdout[-3000:] or proc.stderr[-3000:]
    raise BuildError(
        f"dbt {args[0]} failed on the scratch copy (log: {shell / 'logs' / 'dbt.log'}):\n{detail}"
    )


# -- what each side yields ---------------------------------------------------------------------

# Read from the scratch copy (attached as `s`) after each side's build, into `<side>_<name>`.
# The latest snapshot is D's (fct_account_health's newest snapshot_date).
CAPTURE = {
    "health": """
        select account_id, health_score, health_tier
        from s.marts.fct_account_health
        where snapshot_date = (select max(snapshot_date) from s.marts.fct_account_health)
    """,
    "calibration": """
        select health_tier, snapshots, churn_rate_180d, expansion_rate_180d
        from s.marts.mart_health_calibration
    """,
    "ctas": """
        select cta_type, cast(date_trunc('week', triggered_on) as date) as week_start,
            count(*) as ctas
        from s.marts.fct_cta_candidates
        group by cta_type, cast(date_trunc('week', triggered_on) as date)
    """,
    "tiers": "select tier, sort_order from s.seeds.health_tiers",
    "accounts": "select account_id, account_name, segment, csm_owner from s.marts.dim_accounts",
}

# The comparison, from the captured tables (nulls where a side has no row).
COMPARE = {
    "tier_distribution": """
        with tiers as (
            select tier, sort_order from now_tiers
            union
            select tier, sort_order from proposed_tiers
        ),
        counts as (
            select
                tiers.tier as health_tier,
                tiers.sort_order,
                (select count(*) from now_health as n where n.health_tier = tiers.tier) as accounts_now,
                (select count(*) from proposed_health as p where p.health_tier = tiers.tier)
                    as accounts_proposed
            from tiers
        )
        select
            health_tier, sort_order, accounts_now, accounts_proposed,
            accounts_proposed - accounts_now as accounts_change,
            accounts_now / nullif(sum(accounts_now) over (), 0) as share_now,
            accounts_proposed / nullif(sum(accounts_proposed) over (), 0) as share_proposed
        from counts
        order by sort_order, health_tier
    """,
    "calibration": """
        select
            coalesce(n.health_tier, p.health_tier) as health_tier,
            t.sort_order,
            n.snapshots as snapshots_now, p.snapshots as snapshots_proposed,
            n.churn_rate_180d as churn_rate_180d_now, p.churn_rate_180d as churn_rate_180d_proposed,
            n.expansion_rate_180d as expansion_rate_180d_now,
            p.expansion_rate_180d as expansion_rate_180d_proposed
        from now_calibration as n
        full outer join proposed_calibration as p on n.health_tier = p.health_tier
        left join now_tiers as t on t.tier = coalesce(n.health_tier, p.health_tier)
        order by t.sort_order nulls last, health_tier
    """,
    "ctas_by_week": """
        select
            coalesce(n.week_start, p.week_start) as week_start,
            coalesce(n.cta_type, p.cta_type) as cta_type,
            coalesce(n.ctas, 0) as ctas_now,
            coalesce(p.ctas, 0) as ctas_proposed
        from now_ctas as n
        full outer join proposed_ctas as p
            on n.week_start = p.week_start and n.cta_type = p.cta_type
        order by week_start, cta_type
    """,
    "ctas_by_rule": """
        select
            cta_type,
            cast(sum(ctas_now) as bigint) as ctas_now,
            cast(sum(ctas_proposed) as bigint) as ctas_proposed,
            cast(sum(ctas_proposed) - sum(ctas_now) as bigint) as ctas_change
        from ctas_by_week
        group by cta_type
        order by cta_type
    """,
    "tier_changes": """
        select
            coalesce(n.account_id, p.account_id) as account_id,
            a.account_name, a.segment, a.csm_owner,
            n.health_score as health_score_now, p.health_score as health_score_proposed,
            n.health_tier as health_tier_now, p.health_tier as health_tier_proposed,
            case
                when tp.sort_order > tn.sort_order then 'down'
                when tp.sort_order < tn.sort_order then 'up'
            end as tier_move,
            tp.sort_order - tn.sort_order as tier_steps
        from now_health as n
        full outer join proposed_health as p on n.account_id = p.account_id
        left join now_accounts as a on a.account_id = coalesce(n.account_id, p.account_id)
        left join now_tiers as tn on tn.tier = n.health_tier
        left join proposed_tiers as tp on tp.tier = p.health_tier
        where n.health_tier is distinct from p.health_tier
        order by tier_steps desc nulls last, health_score_proposed nulls last, account_id
    """,
}


def capture(result: duckdb.DuckDBPyConnection, scratch: Path, side: str) -> None:
    result.execute(f"attach '{scratch}' as s (read_only)")
    try:
        for name, sql in CAPTURE.items():
            result.execute(f"create or replace table {side}_{name} as {sql}")
    finally:
        result.execute("detach s")


@dataclass
class Outcome:
    path: Path
    as_of_date: object
    differences: list[CellChange]
    selection: Selection
    seconds: dict[str, float]
    summary: str


def compare(
    seed_set: SeedSet,
    changes: list[Change],
    warehouse: Path,
    folder: Path | None = None,
    progress: Callable[[str], None] = print,
) -> Outcome:
    """Build both sides on a scratch copy and write the comparison; see the module doc."""
    folder = folder or whatif_dir()
    proposed = seed_set.proposed(changes)  # checks the changed seeds' rules first
    differences = seed_set.differences(proposed)
    if not warehouse.exists():
        raise ChangeError(
            f"no warehouse at {warehouse}: run `cswh run` first (or set CSWH_WAREHOUSE)"
        )
    picked = selection(proposed)
    for seed in picked.inert:
        progress(
            f"seed {seed} feeds neither the health score nor the CTAs: it changes nothing here"
        )

    scratch_dir = folder / "scratch"
    shell = scratch_dir / "project"
    scratch = scratch_dir / warehouse.name  # same file name: the same dbt catalog name
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with WarehouseLock(folder / "whatif.duckdb"):  # one what-if at a time per folder
        t = time.perf_counter()
        progress(f"copying the warehouse to {scratch} ...")
        copy_warehouse(warehouse, scratch, progress)
        seconds["copy"] = time.perf_counter() - t
        try:
            as_of = replay_context(scratch)
            tmp = folder / f"{RESULT_NAME}.tmp"
            tmp.unlink(missing_ok=True)
            result = duckdb.connect(str(tmp))
            try:
                for side, seeds in (("proposed", proposed), ("now", {})):
                    t = time.perf_counter()
                    progress(
                        f"{side}: dbt builds {len(picked.models)} models (CTA ledger replayed "
                        f"at D = {as_of}) ..."
                    )
                    prepare_shell(shell, seed_set, seeds)
                    if picked.seeds:
                        # the seeds, with the tests of their yml that read them alone
                        run_dbt(shell, scratch, ["build", "--select", *picked.seeds,
                                                 *picked.seed_tests, "--indirect-selection",
                                                 "empty"], seeds_only=True)  # fmt: skip
                    run_dbt(shell, scratch, ["run", "--select", *picked.models])
                    capture(result, scratch, side)
                    seconds[side] = time.perf_counter() - t
                for name, sql in COMPARE.items():
                    result.execute(f"create table {name} as {sql}")
                _record(result, as_of, warehouse, differences, changes)
                for side in SIDES:
                    for name in CAPTURE:
                        result.execute(f"drop table {side}_{name}")
                seconds["total"] = time.perf_counter() - started
                result.execute("update whatif_run set seconds = ?", [round(seconds["total"], 1)])
                summary = _summary(result)
            finally:
                result.close()
            path = result_path(folder)
            os.replace(tmp, path)
        finally:
            for leftover in (scratch, Path(f"{scratch}.wal"), Path(f"{scratch}.tmp")):
                if leftover.is_dir():
                    shutil.rmtree(leftover, ignore_errors=True)
                else:
                    leftover.unlink(missing_ok=True)
            prepare_shell(shell, seed_set, {})  # the shell holds no proposal between runs
    return Outcome(path, as_of, differences, picked, seconds, summary)


def _record(result, as_of, warehouse: Path, differences: list[CellChange], changes) -> None:
    result.execute(
        "create table whatif_changes (seed varchar, key varchar, column_name varchar, "
        "value_now varchar, value_proposed varchar)"
    )
    result.executemany(
        "insert into whatif_changes values (?, ?, ?, ?, ?)",
        [[d.seed, d.key, d.column, d.value_now, d.value_proposed] for d in differences],
    )
    result.execute(
        """
        create table whatif_run as
        select
            cast(? as timestamp) as computed_at,
            cast(? as date) as as_of_date,
            cast(? as varchar) as warehouse,
            cast(? as varchar) as requested,
            (select count(*) from whatif_changes) as cells_changed,
            (select count(*) from now_health) as accounts,
            (select count(*) from tier_changes) as accounts_changing_tier,
            (select count(*) from tier_changes where tier_move = 'down') as accounts_down,
            (select count(*) from tier_changes where tier_move = 'up') as accounts_up,
            cast(null as double) as seconds
        """,
        [
            datetime.now(UTC).replace(tzinfo=None),
            as_of,
            str(warehouse),
            "; ".join(str(c) for c in changes),
        ],
    )


def _summary(result: duckdb.DuckDBPyConnection) -> str:
    run = result.execute(
        "select as_of_date, accounts, accounts_changing_tier, accounts_down, accounts_up "
        "from whatif_run"
    ).fetchall()[0]
    lines = [f"what-if at D = {run[0]} on {run[1]:,} accounts"]
    changes = result.execute("select * from whatif_changes order by all").fetchall()
    lines.append("changed seed values:" if changes else "no seed value differs from today's")
    lines += [f"  {s}.{k}.{c}: {a or '(empty)'} -> {b or '(empty)'}" for s, k, c, a, b in changes]
    lines.append("tiers at D (accounts): now -> proposed")
    for tier, now, prop, diff in result.execute(
        "select health_tier, accounts_now, accounts_proposed, accounts_change "
        "from tier_distribution order by sort_order"
    ).fetchall():
        lines.append(f"  {tier:<10} {now:>7,} -> {prop:>7,}  ({diff:+,})")
    lines.append("calibration, churn / expansion within 180 days: now -> proposed")
    for tier, cn, cp, en, ep in result.execute(
        "select health_tier, churn_rate_180d_now, churn_rate_180d_proposed, "
        "expansion_rate_180d_now, expansion_rate_180d_proposed from calibration"
    ).fetchall():
        lines.append(
            f"  {tier:<10} churn {_pct(cn)} -> {_pct(cp)}   expansion {_pct(en)} -> {_pct(ep)}"
        )
    lines.append("CTAs raised over the history, per rule: now -> proposed")
    for rule, now, prop, diff in result.execute("select * from ctas_by_rule").fetchall():
        lines.append(f"  {rule:<28} {now:>7,} -> {prop:>7,}  ({diff:+,})")
    lines.append(
        f"accounts changing tier at D: {run[2]:,} ({run[3]:,} down, {run[4]:,} up)"
        + ("; e.g." if run[2] else "")
    )
    for row in result.execute(
        "select account_id, account_name, health_score_now, health_score_proposed, "
        "health_tier_now, health_tier_proposed from tier_changes limit 10"
    ).fetchall():
        aid, name, sn, sp, tn, tp = row
        lines.append(f"  {aid} {name}: {_score(sn)} -> {_score(sp)}, {tn} -> {tp}")
    return "\n".join(lines)


def _pct(value) -> str:
    return "    –" if value is None else f"{100 * value:5.1f}%"


def _score(value) -> str:
    return "–" if value is None else f"{value:.1f}"
