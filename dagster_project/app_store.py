"""The app store: what people record in the dashboard (CTA outcomes, health overrides, CSM
pulses, e-mail opt-outs).

A small SQLite database at ``$CSWH_APP_DB`` (default ``data/app/cswh_app.sqlite``), shared by
the Streamlit app (many users writing at once) and the pipeline (which loads it with the
landing-zone files of the same entity). SQLite in WAL mode lets readers and one writer work
side by side; writers queue on ``busy_timeout`` and hold the write lock only for one short
``BEGIN IMMEDIATE`` transaction, so concurrent users never see "database is locked" and no
row is lost.

Each store table holds one landing-zone entity's contract columns (sources.py is their one
home): ``cta_outcomes`` = cta_actions/outcomes, ``overrides`` = cs_inputs/overrides,
``pulses`` = cs_inputs/pulse, ``opt_outs`` = cs_inputs/opt_outs. A record is checked by the
rules extraction applies to a file (``extract.validate.check_record``) before anything is
written, and checked again when the pipeline loads it (a record that fails then is
quarantined like a bad file row). Timestamps are Japan time, naive.

These four tables are an audit record: append-only. Each record keeps who (``recorded_by`` /
``set_by``; opt-outs carry a store-only ``recorded_by`` that the landing-zone file lacks) and
when (the stamp column); a correction is a new record (a new id, or a later recorded_at of
the same CTA: the pipeline takes the latest, CONTRACT section 11). Triggers refuse UPDATE and
DELETE on them. The outbox is operational state and stays updatable.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from dagster_project import sources

# The outcome values are the landing zone's (cta_actions/outcomes): one list, in sources.py.
# Their Japanese labels live in seed code_labels (code_kind cta_outcome), like every label.
from dagster_project.sources import INTEGER, OUTCOMES, Entity

JST = ZoneInfo("Asia/Tokyo")
BUSY_TIMEOUT_S = 30.0
TS_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
APP_SOURCE_FILE = "app/cswh_app.sqlite"  # _source_file of rows that came from the app store


@dataclass(frozen=True)
class StoreTable:
    """A store table and the landing-zone entity whose columns and rules it shares."""

    name: str
    entity: str  # raw table name, <source>__<entity>
    stamp: str  # the timestamp column set to "now" when the form does not give it
    who: str  # the column naming who recorded it (the signed-in user)
    audit_only: tuple[str, ...] = ()  # store-only columns the landing-zone entity lacks

    @property
    def contract(self) -> Entity:
        return sources.entity(self.entity)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.contract.columns)


TABLES: dict[str, StoreTable] = {
    t.name: t
    for t in (
        StoreTable("cta_outcomes", "cta_actions__outcomes", "recorded_at", "recorded_by"),
        StoreTable("overrides", "cs_inputs__overrides", "set_at", "set_by"),
        StoreTable("pulses", "cs_inputs__pulse", "recorded_at", "recorded_by"),
        StoreTable(
            "opt_outs", "cs_inputs__opt_outs", "opted_out_at", "recorded_by", ("recorded_by",)
        ),
    )
}

# Not a landing-zone entity, so not in TABLES: the outbox of automated e-mails and digests
# (dagster_project/notify owns its logic; this is only its table, created with the others).
# One row per message, its id a hash of what it is about, so a rerun never queues it twice.
# status: queued -> sending (claimed by one sender) -> sent | failed (retried after
# next_attempt_at); suppressed (opted out, no address) and held (by a person) are not sent.
OUTBOX_DDL = """create table if not exists outbox (
    message_id text primary key,
    kind text not null,
    recipients text not null,
    subject text not null,
    body text not null,
    status text not null,
    attempts integer not null default 0,
    last_error text,
    next_attempt_at text,
    sent_at text,
    suppressed_reason text,
    created_at text not null,
    about_date text,
    cta_id text,
    account_id text,
    csm text,
    claimed_at text
)"""

SCHEMA = pa.schema(
    [
        ("cta_id", pa.string()),
        ("recorded_at", pa.timestamp("us")),
        ("recorded_by", pa.string()),
        ("outcome", pa.string()),
        ("note", pa.string()),
        ("reason_code", pa.string()),
        ("snooze_until", pa.date32()),
    ]
)
assert tuple(SCHEMA.names) == TABLES["cta_outcomes"].columns  # one column list: sources.py


def _ddl(table: StoreTable) -> str:
    cols = [
        f"{c.name} {'integer' if c.type == INTEGER else 'text'}{'' if c.nullable else ' not null'}"
        for c in table.contract.columns
    ] + [f"{c} text" for c in table.audit_only]
    return (
        f"create table if not exists {table.name} ({', '.join(cols)}, "
        f"primary key ({', '.join(table.contract.key)}))"
    )


def _append_only(table: StoreTable) -> list[str]:
    """Triggers that refuse to change or remove a record of ``table`` (an audit record)."""
    return [
        f"create trigger if not exists {table.name}_no_{verb} before {verb} on {table.name} "
        f"begin select raise(abort, '{table.name} is append-only: record a correction as a "
        "new record'); end"
        for verb in ("update", "delete")
    ]


@dataclass(frozen=True)
class Outcome:
    cta_id: str
    recorded_at: datetime
    recorded_by: str
    outcome: str
    note: str | None
    reason_code: str | None = None
    snooze_until: date | None = None


def default_path() -> Path:
    """``$CSWH_APP_DB``, resolved like every other cswh path."""
    from dagster_project.config import Settings

    return Settings.from_env().app_db


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so the write lock is taken
    # up front (and waited for under busy_timeout) instead of upgraded mid-transaction.
    con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    con.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    restrict_files(path)
    return con


def restrict_files(path: Path) -> None:
    """The store and its WAL files: the owner's only (or the group's too, privacy.py),
    whatever the umask of the process that created them (the dashboard may not be cswh)."""
    from dagster_project.privacy import restrict

    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:  # another process may remove the WAL files at any moment (its last close)
            if f.stat().st_uid == os.getuid():
                restrict(f)
        except FileNotFoundError:
            continue


def init_store(path: Path | str | None = None) -> Path:
    """Create the store (WAL mode, tables; columns a store of an earlier version lacks are
    added) if needed; safe to call from many processes."""
    path = Path(path) if path is not None else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            with closing(_connect(path)) as con:
                if con.execute("pragma journal_mode").fetchone()[0].lower() != "wal":
                    con.execute("pragma journal_mode = wal")
                con.execute("pragma synchronous = normal")
                con.execute(OUTBOX_DDL)
                for table in TABLES.values():
                    con.execute(_ddl(table))
                    have = {r[1] for r in con.execute(f"pragma table_info({table.name})")}
                    for column in (*table.columns, *table.audit_only):
                        if column not in have:  # a nullable column the contract added later
                            con.execute(f"alter table {table.name} add column {column} text")
                    for trigger in _append_only(table):
                        con.execute(trigger)
            return path
        except sqlite3.OperationalError as exc:  # first creation raced with another process
            if "locked" not in str(exc) and "busy" not in str(exc) and "duplicate" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def now_jst() -> datetime:
    return datetime.now(JST).replace(tzinfo=None)


def _text(value: object) -> str | None:
    """A form value as the store keeps it: stripped text, blank as null."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).strftime(TS_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip() or None


def validate(table: str, record: dict[str, object]) -> list[str]:
    """Why extraction would quarantine ``record`` of store table ``table`` (empty: valid)."""
    import duckdb

    from dagster_project.extract.validate import check_record

    with closing(duckdb.connect()) as con:
        return check_record(con, TABLES[table].contract, {k: _text(v) for k, v in record.items()})


def _insert(path: Path | str | None, table: str, record: dict[str, object]) -> dict:
    """Validate ``record`` (the store table's contract columns), then append it.

    Raises ValueError naming every problem before anything is written. The stamp column
    defaults to now (Japan time); when it is part of the key and taken (two records of one
    CTA in the same microsecond), it moves on by a microsecond so nothing is dropped."""
    spec = TABLES[table]
    at = record.get(spec.stamp) or now_jst()
    extra = {c: _text(record.get(c)) for c in spec.audit_only}
    record = {c: _text(record.get(c)) for c in spec.columns} | {spec.stamp: _text(at)}
    problems = validate(table, record)
    if problems:
        raise ValueError("; ".join(problems))
    path = init_store(path)
    key = spec.contract.key
    with closing(_connect(path)) as con:
        con.execute("begin immediate")
        try:
            if spec.stamp in key:
                stamp = datetime.strptime(record[spec.stamp], TS_FORMAT)
                where = " and ".join(f"{k} = ?" for k in key)
                while con.execute(
                    f"select 1 from {table} where {where}", [record[k] for k in key]
                ).fetchone():
                    stamp += timedelta(microseconds=1)
                    record[spec.stamp] = stamp.strftime(TS_FORMAT)
            record |= extra
            names = (*spec.columns, *spec.audit_only)
            con.execute(
                f"insert into {table} ({', '.join(names)}) "
                f"values ({', '.join('?' for _ in names)})",
                [record[c] for c in names],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return record


def _who(by: str | None, what: str) -> str:
    by = (by or "").strip()
    if not by:
        raise ValueError(f"{what} is required (who recorded it)")
    return by


def record_outcome(
    cta_id: str,
    outcome: str,
    recorded_by: str,
    note: str | None = None,
    *,
    path: Path | str | None = None,
    recorded_at: datetime | None = None,
    reason_code: str | None = None,
    snooze_until: date | None = None,
) -> Outcome:
    """Append one outcome for a CTA and return it as stored.

    A lost or dismissed outcome needs a ``reason_code`` of seed close_reasons that closes
    that outcome; ``snooze_until`` only goes with snoozed (left empty: 14 days after)."""
    if not (cta_id or "").strip():
        raise ValueError("cta_id is required")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}; got {outcome!r}")
    row = _insert(
        path,
        "cta_outcomes",
        {
            "cta_id": cta_id,
            "recorded_at": recorded_at,
            "recorded_by": _who(recorded_by, "recorded_by"),
            "outcome": outcome,
            "note": note,
            "reason_code": reason_code,
            "snooze_until": snooze_until,
        },
    )
    return _outcome(row)


def record_override(
    account_id: str,
    override_score: int,
    reason: str,
    set_by: str,
    expires_on: date | None = None,
    *,
    path: Path | str | None = None,
    set_at: datetime | None = None,
) -> dict:
    """Append a health override (contract section 11) and return it as stored.

    ``expires_on`` left empty: the pipeline applies it for 90 days from its set date; at
    most 180 days after it."""
    return _insert(
        path,
        "overrides",
        {
            "override_id": f"app-{uuid.uuid4().hex}",
            "account_id": account_id,
            "set_at": set_at,
            "set_by": _who(set_by, "set_by"),
            "override_score": override_score,
            "reason": reason,
            "expires_on": expires_on,
        },
    )


def record_pulse(
    account_id: str,
    pulse: int,
    recorded_by: str,
    note: str | None = None,
    *,
    path: Path | str | None = None,
    recorded_at: datetime | None = None,
) -> dict:
    """Append a CSM's pulse (1 = about to leave .. 5 = advocate) and return it as stored."""
    return _insert(
        path,
        "pulses",
        {
            "pulse_id": f"app-{uuid.uuid4().hex}",
            "account_id": account_id,
            "recorded_at": recorded_at,
            "recorded_by": _who(recorded_by, "recorded_by"),
            "pulse": pulse,
            "note": note,
        },
    )


def record_opt_out(
    email: str,
    *,
    path: Path | str | None = None,
    opted_out_at: datetime | None = None,
    recorded_by: str | None = None,
) -> dict:
    """Record that ``email`` wants no automated e-mail (cs_inputs/opt_outs) and return the
    record; an address already opted out keeps its first record (returned as stored).
    ``recorded_by`` (the dashboard's signed-in user) is kept in the store only: the
    landing-zone entity has no such column."""
    email = (email or "").strip().lower()
    for row in read_rows("opt_outs", path):
        if (row["email"] or "").strip().lower() == email:
            return {k: v for k, v in row.items() if k != "_rowid"}
    return _insert(
        path,
        "opt_outs",
        {"email": email, "opted_out_at": opted_out_at, "recorded_by": recorded_by},
    )


def read_rows(
    table: str, path: Path | str | None = None, since: datetime | None = None
) -> list[dict[str, str | int | None]]:
    """A store table's records as stored (text; integers as int), oldest first; those
    stamped after ``since`` only when given. A store that does not exist reads as empty."""
    spec = TABLES[table]
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        return []
    names = (*spec.columns, *spec.audit_only)
    sql = f"select rowid, {', '.join(names)} from {table}"
    params: tuple = ()
    if since is not None:
        sql += f" where {spec.stamp} > ?"
        params = (since.strftime(TS_FORMAT),)
    sql += f" order by {spec.stamp}, rowid"
    with closing(_connect(path)) as con:
        try:
            rows = con.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc) or "no such column" in str(exc):
                return []
            raise
    return [dict(zip(("_rowid", *names), r, strict=True)) for r in rows]


def _mask_email(email: str | None) -> str | None:
    """``a…@example.com``: enough for an auditor to tell records apart, not the address."""
    if not email or "@" not in email:
        return email and email[:1] + "…"
    local, _, domain = email.partition("@")
    return f"{local[:1]}…@{domain}"


def latest_writes(path: Path | str | None = None, limit: int = 200) -> list[dict]:
    """The latest records of the four audited tables, newest first: table, at, by, what
    (``subject``: the CTA or account; ``value``: the outcome, score or pulse). Opened
    read-only; a missing store reads as empty. Opt-out addresses are masked."""
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        return []
    parts = {
        "cta_outcomes": "recorded_at, recorded_by, cta_id, outcome",
        "overrides": "set_at, set_by, account_id, cast(override_score as text)",
        "pulses": "recorded_at, recorded_by, account_id, cast(pulse as text)",
        "opt_outs": "opted_out_at, recorded_by, email, 'opted out'",
    }
    rows: list[dict] = []
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as con:
        con.execute(f"pragma busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        for table, cols in parts.items():
            try:
                got = con.execute(
                    f"select {cols} from {table} order by 1 desc, rowid desc limit ?", (limit,)
                ).fetchall()
            except sqlite3.OperationalError as exc:  # an older store: table or column missing
                if "no such" in str(exc):
                    continue
                raise
            for at, by, subject, value in got:
                if table == "opt_outs":
                    subject = _mask_email(subject)
                rows.append(
                    {"table": table, "at": at, "by": by, "subject": subject, "value": value}
                )
    rows.sort(key=lambda r: r["at"] or "", reverse=True)
    return rows[:limit]


def _outcome(row: dict) -> Outcome:
    until = row.get("snooze_until")
    return Outcome(
        row["cta_id"],
        datetime.strptime(row["recorded_at"], TS_FORMAT),
        row["recorded_by"],
        row["outcome"],
        row["note"],
        row.get("reason_code"),
        date.fromisoformat(until) if until else None,
    )


def read_outcomes(path: Path | str | None = None, since: datetime | None = None) -> pa.Table:
    """Every recorded outcome (or those recorded after ``since``) as an Arrow table with the
    columns and types of ``raw.cta_actions__outcomes`` (contract section 1)."""
    outcomes = list_outcomes(path, since)
    return pa.table(
        {name: [getattr(o, name) for o in outcomes] for name in SCHEMA.names}, schema=SCHEMA
    )


def list_outcomes(path: Path | str | None = None, since: datetime | None = None) -> list[Outcome]:
    """The same rows as :func:`read_outcomes`, as dataclasses (for the app)."""
    return [_outcome(r) for r in read_rows("cta_outcomes", path, since)]


def load_into_raw(
    con, run_id: str, path: Path | str | None = None, source: str = "cta_actions"
) -> int:
    """Load the store's records of ``source``'s entities that the warehouse has not seen.

    Each new record goes through extraction's validation like a row of a landing-zone file
    named ``app/cswh_app.sqlite`` (``_row_number`` = its row in the store): valid ones are
    appended to the raw table, others quarantined with the reason; the load is one
    ``dq.load_manifest`` row per store table. A record already in raw (by key) or already
    quarantined is skipped, so a rerun loads nothing twice. ``con`` is a DuckDB connection
    to the warehouse. Returns the number of rows loaded."""
    loaded = 0
    for table in TABLES.values():
        if table.contract.source == source:
            loaded += _load_table(con, run_id, path, table)
    return loaded


def _load_table(con, run_id: str, path: Path | str | None, table: StoreTable) -> int:
    from dagster_project.extract.loader import _inputs
    from dagster_project.extract.manifest import utcnow, write_manifest
    from dagster_project.extract.results import FileResult
    from dagster_project.extract.validate import Relation, lit, load_relation
    from dagster_project.sql_text import ident

    rows = read_rows(table.name, path)
    if not rows:
        return 0
    entity = table.contract
    data = {c: [None if r[c] is None else str(r[c]) for r in rows] for c in table.columns}
    data["_row_number"] = [r["_rowid"] for r in rows]
    data["_raw"] = [json.dumps({c: r[c] for c in table.columns}, ensure_ascii=False) for r in rows]
    con.register("_cswh_app_in", pa.table(data))
    try:
        key_types = {c.name: c.type for c in entity.columns}
        same_key = " and ".join(
            f"r.{ident(k)} = try_cast(s.{ident(k)} as {key_types[k]})" for k in entity.key
        )
        new = (
            f"(select * from _cswh_app_in s where not exists (select 1 from raw.{entity.table} r "
            f"where {same_key}) and not exists (select 1 from dq.quarantine q where "
            f"q.source = {lit(entity.source)} and q.entity = {lit(entity.name)} and "
            f"q.file = {lit(APP_SOURCE_FILE)} and q.raw_record = s._raw))"
        )
        todo = con.execute(f"select _raw from {new} order by _row_number").fetchall()
        if not todo:
            return 0
        loaded_at = utcnow()
        count, bad = load_relation(
            con,
            entity,
            Relation(
                sql=new, file=lit(APP_SOURCE_FILE), row_number="_row_number", raw_record="_raw"
            ),
            _inputs(entity),
            run_id=run_id,
            loaded_at=loaded_at,
            expected_rows=len(todo),
        )
        digest = hashlib.sha256("\n".join(r[0] for r in todo).encode()).hexdigest()
        write_manifest(
            con,
            [
                FileResult(
                    run_id=run_id,
                    source=entity.source,
                    entity=entity.name,
                    file=APP_SOURCE_FILE,
                    file_hash=digest,
                    status="loaded",
                    rows_read=len(todo),
                    rows_loaded=count,
                    rows_quarantined=sum(bad.values()),
                    loaded_at=loaded_at,
                )
            ],
        )
        return count
    finally:
        con.unregister("_cswh_app_in")
