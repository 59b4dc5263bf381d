"""Dagster resources. Paths come from the environment (EnvVar), never from literals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from dagster_project.config import duckdb_config
from dagster_project.warehouse_lock import WarehouseLock


class Warehouse(dg.ConfigurableResource):
    """The working DuckDB warehouse.

    DuckDB allows a single writing process: every run holds the warehouse lock
    (warehouse_lock.py) from start to end, so a second run waits for the first instead of
    failing on DuckDB's file lock. Connections are opened per step and closed before dbt (a
    subprocess) takes the file.
    """

    path: str
    _lock: WarehouseLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._lock = WarehouseLock(self.path)
        if not self._lock.acquire(blocking=False):
            context.log.info(f"another run is writing {self.path}; waiting for it to finish ...")
            self._lock.acquire()
            context.log.info("the other run finished; continuing")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._lock is not None:
            self._lock.release()
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
    """The published, read-only copy that analysts, the dashboard and auditors read, and
    the restricted copy written with it (what needs a person; SECURITY.md)."""

    path: str
    restricted_path: str = ""
