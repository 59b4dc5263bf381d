"""The warehouse's single-writer lock: an exclusive ``flock`` on ``<warehouse>.lock``.

DuckDB allows one writing process per file and makes a second one fail, not wait. So every
run, however it was launched (`cswh run`, the UI, the schedule, the sensor), holds this lock
from start to end (resources.Warehouse), and so does anything else that opens the warehouse
outside a run: `cswh docs` (dbt reads the catalog) and the run summary of `cswh run`. A second
holder waits for the first instead of failing on DuckDB's file lock. The lock is the file's,
not the process's: it is released when the holder closes it or dies, so a killed run never
leaves it held.
"""

from __future__ import annotations

import fcntl
from pathlib import Path
from typing import IO


def lock_path(warehouse: Path | str) -> Path:
    return Path(f"{warehouse}.lock")


class WarehouseLock:
    """``with WarehouseLock(path):`` waits for and holds the lock; ``acquire(blocking=False)``
    only takes it when it is free."""

    def __init__(self, warehouse: Path | str) -> None:
        self.path = lock_path(warehouse)
        self._file: IO | None = None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the lock; False when ``blocking`` is off and another process holds it."""
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            handle.close()
            return False
        except BaseException:
            handle.close()
            raise
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the flock
            self._file = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def __enter__(self) -> WarehouseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
