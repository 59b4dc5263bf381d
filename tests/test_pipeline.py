"""End to end: `cswh run` on a tiny generated zone, through Dagster, into a serving copy."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from tests.support import CSWH, PROJECT_ROOT, clone_root, cswh_env, published_tiny, run_cswh

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path):
    published = published_tiny(tmp_path_factory, tiny_zone)
    return published.root, published.env, published.result


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_run_publishes_a_serving_copy(first_run) -> None:
    root, _, result = first_run
    assert result.returncode == 0, result.stdout + result.stderr
    serving = root / "warehouse" / "serving.duckdb"
    assert f"serving copy published: {serving}" in result.stdout
    schemas = {
        r[0] for r in _query(serving, "select distinct table_schema from information_schema.tables")
    }
    assert {"marts", "dq", "staging"} <= schemas
    (accounts,) = _query(serving, "select count(*) from staging.stg_crm__accounts")[0]
    assert accounts == 40  # every generated account, deduplicated across deliveries


def test_manifest_accounts_for_every_file_and_row(first_run) -> None:
    root, _, _ = first_run
    serving = root / "warehouse" / "serving.duckdb"
    landed = sorted(
        str(p.relative_to(root / "raw")) for p in (root / "raw").rglob("*") if p.is_file()
    )
    rows = _query(
        serving,
        "select file, status, rows_read, rows_loaded, rows_quarantined from dq.load_manifest order by file",
    )
    assert sorted(r[0] for r in rows) == landed
    for file, status, read, loaded, quarantined in rows:
        if status == "loaded":
            assert read == loaded + quarantined, file
    (quarantined_rows,) = _query(serving, "select count(*) from dq.quarantine")[0]
    assert quarantined_rows == sum(r[4] or 0 for r in rows)


def test_second_run_loads_nothing_and_readers_never_block(
    first_run, tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path
) -> None:
    root = tmp_path_factory.mktemp("second-run")
    env = clone_root(published_tiny(tmp_path_factory, tiny_zone), root)
    serving = root / "warehouse" / "serving.duckdb"
    before = _query(serving, "select count(*) from dq.load_manifest")[0][0]
    log = root / "second-run.log"
    with log.open("w") as out:  # a file, not a pipe: a full pipe would block the run
        proc = subprocess.Popen(
            [*CSWH, "run"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
        reads = 0
        while proc.poll() is None:
            # A reader during the run: opens read-only, never meets the pipeline's lock.
            assert _query(serving, "select count(*) from staging.stg_crm__accounts")[0][0] == 40
            reads += 1
            time.sleep(0.05)
    output = log.read_text()
    assert proc.returncode == 0, output
    assert reads > 5
    assert _query(serving, "select count(*) from dq.load_manifest")[0][0] == before
    assert "0 loaded" in output


def test_runs_are_recorded_in_dagster_home(first_run) -> None:
    import dagster as dg
    from dagster._core.storage.event_log import SqliteEventLogStorage

    from dagster_project.run import open_instance

    root, _, _ = first_run
    with open_instance(root / "dagster_home") as instance:
        runs = instance.get_runs()
        assert runs, "no run recorded"
        assert all(r.job_name == "cswh_job" for r in runs)
        assert runs[-1].status == dg.DagsterRunStatus.SUCCESS
        # Stored by Dagster's own SQLite event log (cswh's dagster.yaml selects none), in the
        # standard place, and every step of the run is there.
        assert type(instance.event_log_storage) is SqliteEventLogStorage
        assert (root / "dagster_home" / "history" / "runs" / f"{runs[0].run_id}.db").exists()
        steps = {s.step_key for s in instance.get_run_step_stats(runs[0].run_id)}
        assert {"extract_usage", "dbt_models", "serving__publish"} <= steps


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "--data-dir", "/nonexistent/zone"], "does not exist"),
        (["run", "--as-of", "2026-13-01"], "not a date"),
        (["run", "--engine", "oracle"], "argument --engine: invalid choice: 'oracle'"),
        (["generate", "--out", "/tmp/x", "--accounts", "0"], "at least 1"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = run_cswh(*args, env=cswh_env(tmp_path))
    assert result.returncode == 2
    assert message in result.stderr


def test_an_unknown_engine_in_the_environment_exits_2(tmp_path: Path) -> None:
    result = run_cswh("run", env=cswh_env(tmp_path, CSWH_ENGINE="oracle"))
    assert result.returncode == 2
    assert "CSWH_ENGINE: unknown engine 'oracle'; expected one of duckdb, spark" in result.stderr
