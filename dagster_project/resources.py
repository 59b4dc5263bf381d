"""Dagster resources. Paths come from the environment (EnvVar), never from literals."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from dagster_project.config import duckdb_config


class Warehouse(dg.ConfigurableResource):
    """The working DuckDB warehouse.

    DuckDB allows a single writing process. Every run, however it was launched (`cswh run`,
    the UI, the schedule, the sensor), holds an exclusive lock on ``<path>.lock`` from start to
    end, so a second run waits for the first instead of failing on DuckDB's file lock.
    Connections are opened per step and closed before dbt (a subprocess) takes the file.
    """

    path: str
    _lock: IO | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        lock_path = Path(f"{self.path}.lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = open(lock_path, "w")  # noqa: SIM115 - held for the whole run
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            context.log.info(f"another run is writing {self.path}; waiting for it to finish ...")
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            context.log.info("the other run finished; continuing")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.close()  # closing releases the flock
            self._lock = None

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            self.path,
            read_only=read_only,
            config=duckdb_config(),
        )
        try:
            yield con
        finally:
            con.close()


class LandingZone(dg.ConfigurableResource):
    """The folder the source systems drop their files into."""

    path: str


class AppStore(dg.ConfigurableResource):
    """The dashboard's SQLite store of CTA outcomes (read by the cta_actions extraction)."""

    path: str


class ServingCopy(dg.ConfigurableResource):
    """The published, read-only copy that analysts, the dashboard and auditors read."""

    path: str
