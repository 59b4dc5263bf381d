"""`cswh run`: execute the whole job through Dagster and summarise it for a person.

The run is recorded in the persistent DAGSTER_HOME, so `cswh ui` shows it with its logs.
"""

from __future__ import annotations

import fcntl
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.config import Settings
from dagster_project.progress import RunConsole
from dagster_project.warehouse_lock import WarehouseLock

PUBLISH_STEP = "publish_serving_copy"
# Tags on every run `cswh run` starts: which process on which machine executes it.
PID_TAG, HOST_TAG = "cswh/pid", "cswh/host"


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    published: bool
    serving: Path
    files: dict[str, int] = field(default_factory=dict)  # status -> count this run
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (file, error)
    failures: list[str] = field(default_factory=list)  # failed steps / checks
    warnings: list[str] = field(default_factory=list)  # warning-level checks that failed
    ctas_raised: int | None = None  # CTAs this run added to the ledger
    orphaned_outcomes: int | None = None  # outcomes whose cta_id is not in the ledger
    data_docs_refreshed: bool = False  # the docs/data_docs asset ran (after the publish)
    data_docs_error: str | None = None  # why it failed; the publish stands

    def summary(self) -> str:
        lines = [
            f"run {self.run_id}: " + ("succeeded" if self.success else "FAILED"),
            "  files: "
            + ", ".join(
                f"{self.files.get(s, 0)} {label}"
                for s, label in (
                    ("loaded", "loaded"),
                    ("skipped_duplicate", "skipped (duplicate)"),
                    ("failed", "failed"),
                )
            ),
            f"  rows: {self.rows_loaded:,} loaded, {self.rows_quarantined:,} quarantined "
            "(see dq.quarantine)",
        ]
        if self.ctas_raised is not None:
            lines.append(f"  CTAs raised by this run: {self.ctas_raised:,}")
        if self.orphaned_outcomes:
            lines.append(
                f"  orphaned outcomes: {self.orphaned_outcomes:,} recorded against a cta_id that "
                "is not in the CTA ledger (kept; see dq.orphaned_cta_outcomes)"
            )
        lines += [f"  rejected {file}: {error}" for file, error in self.rejected]
        lines += [f"  failed: {name}" for name in self.failures]
        lines += [f"  warning: {name}" for name in self.warnings]
        if self.published:
            lines.append(f"  serving copy published: {self.serving}")
        else:
            lines.append(
                f"  NOT published; the serving copy keeps its last good state: {self.serving}"
            )
        return "\n".join(lines)


def _run_config(log_level: str = "INFO") -> dict:
    # Dagster's console log: INFO on a bare console; DEBUG (every event) into the log file
    # of a `cswh run`, whose terminal shows the progress view instead.
    return {"loggers": {"console": {"config": {"log_level": log_level}}}}


def _widen_if_d_moved(settings: Settings, select: str | None) -> str | None:
    """A run of one source (``select``) rebuilds what depends on that source only; the
    models that depend on D alone (the snapshot dates, the current snapshot) would keep the
    last run's D. So a selected run whose D was set to another day runs everything."""
    from dagster_project.as_of import as_of_override, last_run_as_of

    new_d = as_of_override()
    if select is None or new_d is None:
        return select
    old_d = last_run_as_of(settings.warehouse)
    if old_d is None or old_d == new_d:
        return select
    print(f"D moves from {old_d} to {new_d}: running every asset, not only {select}")
    return None


def run_pipeline(
    settings: Settings,
    select: str | None = None,
    full_refresh: bool = False,
    console: RunConsole | None = None,
    engine: str | None = None,
) -> RunOutcome:
    """Run the whole job, or with ``select`` one source system and what depends on it.
    ``full_refresh`` rebuilds every incremental model and replays the CTA ledger.
    ``console`` shows the run's progress from its events and takes its output to a log.
    ``engine`` (duckdb or spark; tag cswh/engine) builds the dbt project; None: CSWH_ENGINE."""

    from dagster_project.definitions import data_docs_asset, defs, selection_by_source
    from dagster_project.transform.assets import FULL_REFRESH_TAG
    from dagster_project.transform.engine import ENGINE_TAG

    job = defs.resolve_job_def("cswh_job")
    select = _widen_if_d_moved(settings, select)
    with _instance() as instance:
        for run_id, pid in close_orphaned_runs(instance):
            print(f"run {run_id} was left unfinished by process {pid} (killed?): marked failed")
        run_id = str(uuid.uuid4())  # chosen here so the listener is in place for every event
        if console is not None:
            instance.add_event_listener(run_id, console.on_event)
        with console.capturing(run_id) if console is not None else nullcontext():
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                run_config=_run_config("DEBUG" if console is not None else "INFO"),
                asset_selection=selection_by_source[select] if select else None,
                run_id=run_id,
                tags={
                    PID_TAG: str(os.getpid()),
                    HOST_TAG: socket.gethostname(),
                    **({FULL_REFRESH_TAG: "true"} if full_refresh else {}),
                    **({ENGINE_TAG: engine} if engine else {}),
                },
            )
        failures = [
            event.step_key or "run"
            for event in result.all_events
            if event.event_type_value in ("STEP_FAILURE", "PIPELINE_FAILURE", "RUN_FAILURE")
        ]
        # A failed Data Docs refresh is reported as such, not as a failed run: the serving copy
        # was published before it (exit status 0).
        docs_error = _step_error(result.all_events, data_docs_asset.op.name)
        if docs_error is not None:
            failures = [f for f in failures if f not in (data_docs_asset.op.name, "run")]
        from dagster_project.quality import failed_checks

        failures += failed_checks(result.all_events, severity="ERROR")
        warnings = failed_checks(result.all_events, severity="WARN")
        published = any(
            event.event_type_value == "ASSET_MATERIALIZATION"
            and event.asset_key is not None
            and event.asset_key.path == ["serving", "publish"]
            for event in result.all_events
        )
    outcome = RunOutcome(
        run_id=result.run_id,
        success=result.success,
        published=published,
        serving=settings.serving,
        failures=sorted(set(failures)),
        warnings=warnings,
        data_docs_refreshed=_materialized(result.all_events, data_docs_asset.key),
        data_docs_error=docs_error,
    )
    _add_load_summary(outcome, settings.warehouse, settings.serving)
    return outcome


def _materialized(events, key) -> bool:
    return any(e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key == key for e in events)


def _step_error(events, step_key: str) -> str | None:
    """The innermost error message of a failed step, or None if it did not fail."""
    for event in events:
        if event.event_type_value == "STEP_FAILURE" and event.step_key == step_key:
            error = event.event_specific_data.error
            while error.cause is not None:
                error = error.cause
            return error.message.strip()
    return None


@contextmanager
def _instance() -> Iterator:
    """The DagsterInstance of DAGSTER_HOME. Its first use creates the SQLite storage, and two
    `cswh run` started together on a new DAGSTER_HOME race at that: one fails with "table
    runs already exists". A file lock serialises the set-up (cheap once the tables exist)."""
    import dagster as dg

    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".cswh-instance.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance = dg.DagsterInstance.get()
    with instance:
        yield instance


@contextmanager
def open_instance(home: Path) -> Iterator:
    """Read the Dagster history of another home (tests, benchmark). DAGSTER_HOME is set to
    `home` meanwhile, for a dagster.yaml that reads it (`env: DAGSTER_HOME`)."""
    import dagster as dg

    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # the pid may have been reused by an unrelated process
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"cswh" in cmdline or b"dagster" in cmdline


def close_orphaned_runs(instance) -> list[tuple[str, int]]:
    """A `cswh run` killed mid-run (SIGKILL, power loss) leaves its run STARTED in the history
    forever. Mark such runs failed -- only runs this machine's `cswh run` started (pid and host
    tags) whose process is gone; runs launched from the UI are left to Dagster. Their work
    needs no clean-up: each file loads in one transaction and the serving copy is replaced
    atomically, so the next run simply loads what the killed one did not commit."""
    import dagster as dg

    host = socket.gethostname()
    closed = []
    unfinished = instance.get_runs(
        filters=dg.RunsFilter(
            job_name="cswh_job",
            statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED],
        )
    )
    for run in unfinished:
        pid = run.tags.get(PID_TAG)
        if pid is None or run.tags.get(HOST_TAG) != host or _process_alive(int(pid)):
            continue
        instance.report_run_failed(
            run,
            f"The cswh run process (pid {pid} on {host}) ended before this run finished "
            "(killed or crashed). Unfinished transactions were rolled back; the next run "
            "loads whatever this one did not commit. The serving copy kept its last good state.",
        )
        closed.append((run.run_id, int(pid)))
    return closed


def _add_load_summary(outcome: RunOutcome, warehouse: Path, serving: Path) -> None:
    """This run's rows of dq.load_manifest. The run has released the warehouse lock by now,
    and a run waiting for it may already be writing: a read-only connection here would make
    that run fail on DuckDB's file lock. So read the serving copy when this run published it
    (its manifest travelled there; the pipeline never locks it), else the warehouse only while
    holding the writer lock (without waiting for it)."""
    if outcome.published and serving.exists():
        _read_load_summary(outcome, serving)
        return
    if not warehouse.exists():
        return
    lock = WarehouseLock(warehouse)
    if not lock.acquire(blocking=False):
        outcome.failures.append(
            "load summary unavailable: the next run is already writing the warehouse "
            "(see this run in `cswh ui`)"
        )
        return
    try:
        _read_load_summary(outcome, warehouse)
    finally:
        lock.release()


def _read_load_summary(outcome: RunOutcome, db: Path) -> None:
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.IOException as exc:  # e.g. a dbt process of a failed step still exiting
        outcome.failures.append(f"load summary unavailable: {exc}")
        return
    try:
        has_manifest = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'dq' and table_name = 'load_manifest'"
        ).fetchone()[0]
        if not has_manifest:
            return
        for status, n, loaded, quarantined in con.execute(
            "select status, count(*), sum(rows_loaded), sum(rows_quarantined) "
            "from dq.load_manifest where run_id = ? group by status",
            [outcome.run_id],
        ).fetchall():
            outcome.files[status] = n
            outcome.rows_loaded += int(loaded or 0)
            outcome.rows_quarantined += int(quarantined or 0)
        outcome.rejected = con.execute(
            "select file, error from dq.load_manifest where run_id = ? and status = 'failed' "
            "order by file",
            [outcome.run_id],
        ).fetchall()
        tables = {
            r[0]
            for r in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables"
            ).fetchall()
        }
        if "marts.fct_cta_candidates" in tables:
            (outcome.ctas_raised,) = con.execute(
                "select count(*) from marts.fct_cta_candidates where raised_in_run_id = ?",
                [outcome.run_id],
            ).fetchone()
        if "dq.orphaned_cta_outcomes" in tables:
            (outcome.orphaned_outcomes,) = con.execute(
                "select count(*) from dq.orphaned_cta_outcomes"
            ).fetchone()
    finally:
        con.close()
