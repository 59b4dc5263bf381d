"""`cswh run`: execute the whole job through Dagster and summarise it for a person.

The run is recorded in the persistent DAGSTER_HOME, so `cswh ui` shows it with its logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.config import Settings

PUBLISH_STEP = "publish_serving_copy"


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
        lines += [f"  rejected {file}: {error}" for file, error in self.rejected]
        lines += [f"  failed: {name}" for name in self.failures]
        if self.published:
            lines.append(f"  serving copy published: {self.serving}")
        else:
            lines.append(
                f"  NOT published; the serving copy keeps its last good state: {self.serving}"
            )
        return "\n".join(lines)


def _run_config() -> dict:
    # INFO keeps the console to progress lines; DEBUG events stay in the run's event log.
    return {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def run_pipeline(settings: Settings, select: str | None = None) -> RunOutcome:
    """Run the whole job, or with ``select`` one source system and what depends on it."""
    import dagster as dg

    from dagster_project.definitions import defs, selection_by_source

    job = defs.resolve_job_def("cswh_job")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=_run_config(),
            asset_selection=selection_by_source[select] if select else None,
        )
        failures = [
            event.step_key or "run"
            for event in result.all_events
            if event.event_type_value in ("STEP_FAILURE", "PIPELINE_FAILURE", "RUN_FAILURE")
        ]
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
    )
    _add_load_summary(outcome, settings.warehouse)
    return outcome


def _add_load_summary(outcome: RunOutcome, warehouse: Path) -> None:
    if not warehouse.exists():
        return
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
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
    finally:
        con.close()
