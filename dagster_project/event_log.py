"""Dagster's SQLite event log, with one connection pool per database instead of a new engine
per event.

A cswh run records ~1,600 events (dbt's 365 tests alone are 730 planned/evaluated asset-check
events). The stock `SqliteEventLogStorage` creates and disposes an SQLAlchemy engine for every
event it stores, twice for asset events (run shard and index shard): ~7 ms per event here, 8 s
before the first step of a run starts. Reusing a pooled engine per shard stores the same rows
in the same files with the same commits (~2 ms per event). Durability is unchanged: every event
is still committed on its own, with SQLite's default synchronous setting.

`dagster.yaml` (written by `cswh`) selects this class; it stores under
`$DAGSTER_HOME/history/runs`, where the default storage keeps its files, so existing histories
stay readable. Reading a home from Python therefore needs DAGSTER_HOME set to it
(`dagster_project.run.open_instance`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from sqlalchemy import Connection, Engine, create_engine

# Engines kept open: the index shard plus the few run shards a process writes or the UI reads.
MAX_ENGINES = 8


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data=None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def config_type(cls) -> dict:
        # `dagster_home: {env: DAGSTER_HOME}` in dagster.yaml: a copied or moved home keeps
        # working, and an unset DAGSTER_HOME is reported by Dagster by name.
        return {"dagster_home": StringSource}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        base_dir = Path(config_value["dagster_home"]) / "history" / "runs"
        return cls(str(base_dir), inst_data=inst_data)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > MAX_ENGINES:
            _, old = self._engines.popitem(last=False)
            old.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # Same contract as the parent: one lock, one transaction per use.
        with self._db_lock, self._engine(shard).connect() as conn, conn.begin():
            yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # before the shard files are unlinked
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
