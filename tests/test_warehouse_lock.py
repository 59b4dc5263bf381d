"""The warehouse lock (dagster_project/warehouse_lock.py): one lock file per warehouse, shared
by every run (resources.Warehouse), `cswh docs` and the run summary."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import dagster as dg

from dagster_project.resources import Warehouse
from dagster_project.warehouse_lock import WarehouseLock, lock_path


def test_a_second_holder_is_refused_or_waits(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    assert lock_path(warehouse) == tmp_path / "wh" / "warehouse.duckdb.lock"
    with WarehouseLock(warehouse) as first:
        assert first.held
        second = WarehouseLock(warehouse)
        assert not second.acquire(blocking=False)
        assert not second.held
    assert second.acquire(blocking=False)  # free once the first is closed
    second.release()


def test_a_run_waits_for_the_lock_cswh_docs_holds(tmp_path: Path) -> None:
    """resources.Warehouse takes the same lock as everything else that opens the warehouse."""
    warehouse = tmp_path / "warehouse.duckdb"
    holder = WarehouseLock(warehouse)
    holder.acquire()
    threading.Timer(1.0, holder.release).start()
    t0 = time.monotonic()
    with dg.build_resources({"warehouse": Warehouse(path=str(warehouse))}) as resources:
        waited = time.monotonic() - t0
        assert not WarehouseLock(warehouse).acquire(blocking=False)  # the run holds it now
        assert resources.warehouse.path == str(warehouse)
    assert waited >= 0.9
    assert WarehouseLock(warehouse).acquire(blocking=False)  # released at teardown
