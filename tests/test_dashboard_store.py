"""The app store (dagster_project.app_store): CTA outcomes written by many users at once."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from dagster_project import app_store


def test_record_and_read_back(tmp_path: Path) -> None:
    db = tmp_path / "app" / "store.sqlite"
    assert app_store.read_outcomes(db).num_rows == 0  # a missing store reads as empty
    assert not db.exists()
    at = datetime(2026, 10, 1, 9, 30)
    app_store.record_outcome("c1", "won", "佐藤", "受注しました", path=db, recorded_at=at)
    app_store.record_outcome("c2", "snoozed", "tanaka", "  ", path=db)
    table = app_store.read_outcomes(db)
    assert table.schema == app_store.SCHEMA
    rows = table.to_pylist()
    assert rows[0] == {
        "cta_id": "c1",
        "recorded_at": at,
        "recorded_by": "佐藤",
        "outcome": "won",
        "note": "受注しました",
        "reason_code": None,
        "snooze_until": None,
    }
    assert rows[1]["note"] is None  # blank note is stored as null
    with sqlite3.connect(db) as con:
        assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    assert app_store.read_outcomes(db, since=at).column("cta_id").to_pylist() == ["c2"]


def test_same_key_twice_keeps_both(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    at = datetime(2026, 10, 1, 9, 30)
    a = app_store.record_outcome("c1", "contacted", "x", path=db, recorded_at=at)
    b = app_store.record_outcome("c1", "won", "y", path=db, recorded_at=at)
    assert a.recorded_at < b.recorded_at
    assert app_store.read_outcomes(db).num_rows == 2


@pytest.mark.parametrize(
    ("cta_id", "outcome", "by", "message"),
    [
        ("", "won", "x", "cta_id"),
        ("c1", "maybe", "x", "outcome must be one of"),
        ("c1", "won", " ", "recorded_by"),
    ],
)
def test_invalid_input_is_refused(tmp_path: Path, cta_id, outcome, by, message) -> None:
    with pytest.raises(ValueError, match=message):
        app_store.record_outcome(cta_id, outcome, by, path=tmp_path / "s.sqlite")


def _writer(db: str, worker: int, n: int, start: mp.synchronize.Event) -> None:  # type: ignore[name-defined]
    start.wait()
    for i in range(n):
        app_store.record_outcome(f"cta-{worker}-{i}", "contacted", f"user{worker}", path=db)
        app_store.record_outcome("shared-cta", "no_response", f"user{worker}", str(i), path=db)


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "app" / "concurrent.sqlite")  # created by the racing writers themselves
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    workers, n = 6, 40
    procs = [ctx.Process(target=_writer, args=(db, w, n, start)) for w in range(workers)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0  # a "database is locked" would have raised in the child
    table = app_store.read_outcomes(db)
    assert table.num_rows == workers * n * 2
    keys = set(zip(table["cta_id"].to_pylist(), table["recorded_at"].to_pylist(), strict=True))
    assert len(keys) == table.num_rows


def test_concurrent_threads_and_a_reader(tmp_path: Path) -> None:
    db = tmp_path / "t.sqlite"
    app_store.init_store(db)
    errors: list[BaseException] = []
    reads: list[int] = []

    def write(w: int) -> None:
        try:
            for i in range(50):
                app_store.record_outcome(f"t{w}-{i}", "won", f"u{w}", path=db)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(30):
                reads.append(app_store.read_outcomes(db).num_rows)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    threads.append(threading.Thread(target=read))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert app_store.read_outcomes(db).num_rows == 400
    assert reads == sorted(reads)  # a reader only ever sees committed, growing state
    assert isinstance(app_store.read_outcomes(db), pa.Table)


def test_load_into_raw_is_idempotent(tmp_path: Path) -> None:
    import duckdb

    from dagster_project.extract import ensure_schemas

    db = tmp_path / "s.sqlite"
    app_store.record_outcome(
        "c1", "won", "x", "メモ", path=db, recorded_at=datetime(2026, 10, 1, 9)
    )
    app_store.record_outcome(
        "c2",
        "dismissed",
        "y",
        path=db,
        recorded_at=datetime(2026, 10, 2, 9),
        reason_code="false_positive",
    )
    con = duckdb.connect()
    ensure_schemas(con)
    assert app_store.load_into_raw(con, "run-1", db) == 2
    assert app_store.load_into_raw(con, "run-2", db) == 0  # nothing twice
    app_store.record_outcome(
        "c1", "lost", "x", path=db, recorded_at=datetime(2026, 10, 3, 9), reason_code="competitor"
    )
    assert app_store.load_into_raw(con, "run-3", db) == 1
    rows = con.execute(
        "select cta_id, recorded_at, outcome, note, _run_id, _source_file, _row_number"
        " from raw.cta_actions__outcomes order by recorded_at"
    ).fetchall()
    assert rows == [
        ("c1", datetime(2026, 10, 1, 9), "won", "メモ", "run-1", "app/cswh_app.sqlite", 1),
        ("c2", datetime(2026, 10, 2, 9), "dismissed", None, "run-1", "app/cswh_app.sqlite", 2),
        ("c1", datetime(2026, 10, 3, 9), "lost", None, "run-3", "app/cswh_app.sqlite", 3),
    ]


def test_outcomes_are_the_landing_zone_s_list(tmp_path: Path) -> None:
    from dagster_project import sources

    assert app_store.OUTCOMES is sources.OUTCOMES  # one list, not a copy of it
    # the store refuses what the landing zone would quarantine, and takes every allowed one
    with pytest.raises(ValueError, match="outcome must be one of"):
        app_store.record_outcome("c1", "maybe", "佐藤", path=tmp_path / "s.sqlite")
    reasons = {o: code for code, o in sources.CLOSE_REASONS}
    for outcome in sources.OUTCOMES:
        app_store.record_outcome(
            "c1", outcome, "佐藤", path=tmp_path / "s.sqlite", reason_code=reasons.get(outcome)
        )
    assert app_store.read_outcomes(tmp_path / "s.sqlite").num_rows == len(sources.OUTCOMES)


def test_lost_without_a_reason_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    with pytest.raises(ValueError, match="reason_code: required when outcome is lost or dismissed"):
        app_store.record_outcome("c1", "lost", "佐藤", path=db)
    with pytest.raises(ValueError, match="snooze_until: only a snoozed outcome has one"):
        app_store.record_outcome(
            "c1", "won", "佐藤", path=db, snooze_until=datetime(2026, 1, 1).date()
        )
    assert app_store.read_outcomes(db).num_rows == 0


def test_override_and_pulse_are_checked_by_the_landing_zone_rules(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    at = datetime(2026, 10, 1, 9)
    with pytest.raises(ValueError) as refused:
        app_store.record_override(
            "A1", 120, " ", "ops", datetime(2027, 6, 1).date(), path=db, set_at=at
        )
    assert str(refused.value) == (
        "override_score: 120 is above the maximum 100; reason: required value is missing; "
        "expires_on: more than 180 days after the override was set"
    )
    with pytest.raises(ValueError, match="pulse: 6 is above the maximum 5"):
        app_store.record_pulse("A1", 6, "sato", path=db)
    assert app_store.read_rows("overrides", db) == app_store.read_rows("pulses", db) == []
    saved = app_store.record_override("A1", 70, "契約更新済み", "ops", path=db, set_at=at)
    assert saved["expires_on"] is None  # the pipeline applies the 90-day default
    app_store.record_pulse("A1", 4, "sato", "順調", path=db)
    assert [r["override_score"] for r in app_store.read_rows("overrides", db)] == [70]
    assert [r["pulse"] for r in app_store.read_rows("pulses", db)] == [4]


def test_a_store_record_that_breaks_a_rule_is_quarantined_once(tmp_path: Path) -> None:
    """A record that reached the store without the form (an older version, a hand edit) is
    held to the rules again at extraction: quarantined with its reason, once."""
    import duckdb

    from dagster_project.extract import ensure_schemas

    db = app_store.init_store(tmp_path / "s.sqlite")
    app_store.record_pulse("A1", 3, "sato", path=db, recorded_at=datetime(2026, 10, 1, 9))
    with sqlite3.connect(db) as raw_store:
        raw_store.execute(
            "insert into pulses values ('p-bad', 'A1', '2026-10-02 09:00:00.000000', 'sato', 9, null)"
        )
    con = duckdb.connect()
    ensure_schemas(con)
    assert app_store.load_into_raw(con, "run-1", db, "cs_inputs") == 1
    assert con.execute(
        "select source, entity, file, row_number, reason from dq.quarantine"
    ).fetchall() == [
        ("cs_inputs", "pulse", "app/cswh_app.sqlite", 2, "pulse: 9 is above the maximum 5")
    ]
    assert con.execute(
        "select rows_read, rows_loaded, rows_quarantined from dq.load_manifest"
    ).fetchall() == [(2, 1, 1)]
    assert app_store.load_into_raw(con, "run-2", db, "cs_inputs") == 0  # nothing twice
    assert con.execute("select count(*) from dq.quarantine").fetchone()[0] == 1
    assert con.execute("select count(*) from dq.load_manifest").fetchone()[0] == 1
