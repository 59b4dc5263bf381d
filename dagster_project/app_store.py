"""The app store: CTA outcomes recorded by people in the dashboard.

A small SQLite database at ``$CSWH_APP_DB`` (default ``data/app/cswh_app.sqlite``), shared by
the Streamlit app (many users writing at once) and the pipeline (which reads it as the
``cta_actions`` source). SQLite in WAL mode lets readers and one writer work side by side;
writers queue on ``busy_timeout`` and hold the write lock only for one short ``BEGIN
IMMEDIATE`` transaction, so concurrent users never see "database is locked" and no row is
lost.

Table ``cta_outcomes`` has the contract's columns (CONTRACT.md section 6): ``cta_id``,
``recorded_at`` (timestamp, Japan time, naive), ``recorded_by``, ``outcome``, ``note``;
key (cta_id, recorded_at).
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

# The outcome values are the landing zone's (cta_actions/outcomes): one list, in sources.py.
from dagster_project.sources import OUTCOMES

# Their Japanese labels live in seed code_labels (code_kind cta_outcome), like every label.
JST = ZoneInfo("Asia/Tokyo")
BUSY_TIMEOUT_S = 30.0
TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"

SCHEMA = pa.schema(
    [
        ("cta_id", pa.string()),
        ("recorded_at", pa.timestamp("us")),
        ("recorded_by", pa.string()),
        ("outcome", pa.string()),
        ("note", pa.string()),
    ]
)

_DDL = f"""
create table if not exists cta_outcomes (
    cta_id      text not null,
    recorded_at text not null,  -- '{TS_FORMAT}' in Japan time (naive), sorts as time
    recorded_by text not null,
    outcome     text not null check (outcome in ({", ".join(f"'{o}'" for o in OUTCOMES)})),
    note        text,
    primary key (cta_id, recorded_at)
)
"""


@dataclass(frozen=True)
class Outcome:
    cta_id: str
    recorded_at: datetime
    recorded_by: str
    outcome: str
    note: str | None


def default_path() -> Path:
    """``$CSWH_APP_DB``, resolved like every other cswh path."""
    from dagster_project.config import Settings

    return Settings.from_env().app_db


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so the write lock is taken
    # up front (and waited for under busy_timeout) instead of upgraded mid-transaction.
    con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    con.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return con


def init_store(path: Path | str | None = None) -> Path:
    """Create the store (WAL mode, table) if needed; safe to call from many processes."""
    path = Path(path) if path is not None else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            with closing(_connect(path)) as con:
                if con.execute("pragma journal_mode").fetchone()[0].lower() != "wal":
                    con.execute("pragma journal_mode = wal")
                con.execute("pragma synchronous = normal")
                con.execute(_DDL)
            return path
        except sqlite3.OperationalError as exc:  # first creation raced with another process
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def now_jst() -> datetime:
    return datetime.now(JST).replace(tzinfo=None)


def record_outcome(
    cta_id: str,
    outcome: str,
    recorded_by: str,
    note: str | None = None,
    *,
    path: Path | str | None = None,
    recorded_at: datetime | None = None,
) -> Outcome:
    """Append one outcome for a CTA and return it as stored.

    ``recorded_at`` defaults to now (Japan time). Two outcomes of the same CTA in the same
    microsecond are kept apart by moving the later one on by a microsecond, so the key
    (cta_id, recorded_at) stays unique and nothing is dropped.
    """
    cta_id = (cta_id or "").strip()
    recorded_by = (recorded_by or "").strip()
    note = (note or "").strip() or None
    if not cta_id:
        raise ValueError("cta_id is required")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}; got {outcome!r}")
    if not recorded_by:
        raise ValueError("recorded_by is required (who recorded the outcome)")
    path = init_store(path)
    at = (recorded_at or now_jst()).replace(tzinfo=None)
    with closing(_connect(path)) as con:
        con.execute("begin immediate")
        try:
            while con.execute(
                "select 1 from cta_outcomes where cta_id = ? and recorded_at = ?",
                (cta_id, at.strftime(TS_FORMAT)),
            ).fetchone():
                at += timedelta(microseconds=1)
            con.execute(
                "insert into cta_outcomes (cta_id, recorded_at, recorded_by, outcome, note) "
                "values (?, ?, ?, ?, ?)",
                (cta_id, at.strftime(TS_FORMAT), recorded_by, outcome, note),
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return Outcome(cta_id, at, recorded_by, outcome, note)


def _rows(path: Path | str | None, since: datetime | None = None) -> list[tuple]:
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        return []
    sql = "select cta_id, recorded_at, recorded_by, outcome, note from cta_outcomes"
    params: tuple = ()
    if since is not None:
        sql += " where recorded_at > ?"
        params = (since.strftime(TS_FORMAT),)
    sql += " order by recorded_at, cta_id"
    with closing(_connect(path)) as con:
        try:
            return con.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise


def read_outcomes(path: Path | str | None = None, since: datetime | None = None) -> pa.Table:
    """Every recorded outcome (or those recorded after ``since``) as an Arrow table.

    Columns and types match ``raw.cta_actions__outcomes`` (contract section 1): cta_id,
    recorded_at (timestamp, naive Japan time), recorded_by, outcome, note. A store that
    does not exist yet reads as an empty table.
    """
    rows = _rows(path, since)
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in SCHEMA.names]
    data = {name: list(col) for name, col in zip(SCHEMA.names, columns, strict=True)}
    data["recorded_at"] = [datetime.strptime(v, TS_FORMAT) for v in data["recorded_at"]]
    return pa.table(data, schema=SCHEMA)


def list_outcomes(path: Path | str | None = None, since: datetime | None = None) -> list[Outcome]:
    """The same rows as :func:`read_outcomes`, as dataclasses (for the app)."""
    return [
        Outcome(c, datetime.strptime(r, TS_FORMAT), b, o, n) for c, r, b, o, n in _rows(path, since)
    ]


APP_SOURCE_FILE = "app/cswh_app.sqlite"  # _source_file of rows that came from the app store


def load_into_raw(
    con,
    run_id: str,
    path: Path | str | None = None,
    table: str = "raw.cta_actions__outcomes",
) -> int:
    """Append the store's outcomes that ``table`` does not hold yet; return how many.

    For the pipeline's `cta_actions` extraction: idempotent (a row whose key (cta_id,
    recorded_at) is already in raw is skipped), load columns filled like a delivery whose
    ``_source_file`` is ``app/cswh_app.sqlite`` (``_row_number`` in recorded order).
    ``con`` is a DuckDB connection to the warehouse.
    """
    from datetime import UTC

    outcomes = read_outcomes(path)
    if outcomes.num_rows == 0:
        return 0
    rows = outcomes.append_column(
        "_row_number", pa.array(range(1, outcomes.num_rows + 1), pa.int64())
    )
    con.register("app_store_outcomes", rows)
    try:
        before = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        con.execute(
            f"insert into {table} (cta_id, recorded_at, recorded_by, outcome, note,"
            " _run_id, _source_file, _row_number, _loaded_at, _extra)"
            " select s.cta_id, s.recorded_at, s.recorded_by, s.outcome, s.note,"
            " ?, ?, s._row_number, ?, null"
            " from app_store_outcomes s"
            f" where not exists (select 1 from {table} r"
            " where r.cta_id = s.cta_id and r.recorded_at = s.recorded_at)",
            [run_id, APP_SOURCE_FILE, datetime.now(UTC).replace(tzinfo=None)],
        )
        return con.execute(f"select count(*) from {table}").fetchall()[0][0] - before
    finally:
        con.unregister("app_store_outcomes")
