"""Dagster resources. Paths come from the environment (Settings), never from literals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb


class Warehouse(dg.ConfigurableResource):
    """The working DuckDB warehouse. DuckDB allows one writing process: connections are
    opened per step and closed before dbt (a subprocess) takes the file."""

    path: str
    memory_limit: str = "8GB"

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            self.path,
            read_only=read_only,
            config={"memory_limit": self.memory_limit, "preserve_insertion_order": False},
        )
        try:
            yield con
        finally:
            con.close()


class ServingCopy(dg.ConfigurableResource):
    """The published, read-only copy that analysts, the dashboard and auditors read."""

    path: str
