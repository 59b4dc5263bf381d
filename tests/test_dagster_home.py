"""cswh's DAGSTER_HOME: the dagster.yaml cswh writes (and rewrites) selects Dagster's stock
storage, so homes written by earlier versions keep their history."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from dagster_project.cli import _DAGSTER_YAML, _dagster_home
from dagster_project.config import Settings
from dagster_project.run import open_instance

# The dagster.yaml cswh wrote before it used Dagster's stock event log (commit 2c637ae).
OLD_YAML = """\
# Written by cswh. Runs launched from the UI or by the schedule queue here; DuckDB
# allows a single writer, so at most one cswh run executes at a time.
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
# The default SQLite event log, reusing its connections (see dagster_project/event_log.py).
event_log_storage:
  module: dagster_project.event_log
  class: PooledSqliteEventLogStorage
  config:
    dagster_home:
      env: DAGSTER_HOME
"""


@dg.asset
def one() -> int:
    return 1


def _settings(home: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return Settings.from_env()


def test_a_home_written_with_the_old_event_log_keeps_its_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    # The old storage kept Dagster's default files (history/runs/<run>.db, index.db):
    # a run stored there by the stock storage is what such a home holds.
    with open_instance(home) as instance:
        run_id = dg.materialize([one], instance=instance).run_id
    (home / "dagster.yaml").write_text(OLD_YAML)
    # The class is gone: as written, the home cannot be opened.
    with pytest.raises(Exception, match="event_log"), open_instance(home):
        pass

    _dagster_home(_settings(home, monkeypatch))  # what `cswh run` and `cswh ui` do first

    assert (home / "dagster.yaml").read_text() == _DAGSTER_YAML
    assert "event_log_storage" not in _DAGSTER_YAML
    with open_instance(home) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        run = instance.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        assert instance.get_latest_materialization_event(dg.AssetKey("one")) is not None


def test_a_dagster_yaml_written_by_someone_else_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    own = "# a shared deployment (README): Postgres storage\ntelemetry:\n  enabled: false\n"
    (home / "dagster.yaml").write_text(own)
    _dagster_home(_settings(home, monkeypatch))
    assert (home / "dagster.yaml").read_text() == own
