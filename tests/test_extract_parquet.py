"""Extraction of Parquet deliveries (usage/users, usage/daily/**): batches, schema checks,
corrupt files, quarantine, Japan-time timestamps."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.extract import load_source
from tests.test_extract import load, one, quarantine, rows


@pytest.fixture
def zone(tmp_path: Path) -> Path:
    z = tmp_path / "raw"
    z.mkdir()
    return z


def daily(day: date, n: int = 5, **over) -> pa.Table:
    cols = {
        "activity_date": pa.array([day] * n, pa.date32()),
        "account_id": pa.array(["A1"] * n),
        "user_id": pa.array([f"U{i}" for i in range(n)]),
        "feature": pa.array(["core_action"] * n),
        "event_count": pa.array([3] * n, pa.int64()),
        "devices": pa.array([1] * n, pa.int32()),
    }
    cols.update(over)
    return pa.table(cols)


def put(zone: Path, rel: str, table: pa.Table, **kw) -> Path:
    path = zone / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **kw)
    return path


def corrupt(path: Path, offset: int) -> None:
    """Flip bytes inside the first column chunk; the footer stays readable."""
    data = bytearray(path.read_bytes())
    for i in range(offset, offset + 16):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def test_daily_files_load_in_batches_with_file_and_row_numbers(
    con, zone: Path, monkeypatch
) -> None:
    import dagster_project.extract.parquet as parquet

    monkeypatch.setattr(parquet, "BATCH_FILES", 2)
    for d in range(1, 6):
        put(zone, f"usage/daily/2025-01/2025-01-0{d}.parquet", daily(date(2025, 1, d), n=d))
    result, messages = load(con, zone, "usage")
    assert [f.status for f in result.files] == ["loaded"] * 5
    assert [f.rows_loaded for f in result.files] == [1, 2, 3, 4, 5]
    assert result.table_rows["usage__daily"] == 15
    assert sum("usage/daily: batch" in m for m in messages) == 3
    assert rows(
        con,
        "select _source_file, max(_row_number), min(activity_date), count(*) "
        "from raw.usage__daily group by 1 order by 1 limit 2",
    ) == [
        ("usage/daily/2025-01/2025-01-01.parquet", 1, date(2025, 1, 1), 1),
        ("usage/daily/2025-01/2025-01-02.parquet", 2, date(2025, 1, 2), 2),
    ]
    assert rows(con, "select distinct _run_id, _extra from raw.usage__daily") == [("r1", None)]


@pytest.mark.parametrize("offset", [4, 300])  # a page header, compressed page data
def test_batch_with_one_corrupt_file_loads_the_others(con, zone: Path, offset: int) -> None:
    for d in range(1, 5):
        put(zone, f"usage/daily/2025-01/2025-01-0{d}.parquet", daily(date(2025, 1, d), n=200))
    corrupt(zone / "usage/daily/2025-01/2025-01-02.parquet", offset)
    (zone / "usage/daily/2025-01/2025-01-05.parquet").write_bytes(b"PAR1 not really PAR1")
    result, messages = load(con, zone, "usage")
    status = {f.file.rsplit("/", 1)[1]: f.status for f in result.files}
    assert status == {
        "2025-01-01.parquet": "loaded",
        "2025-01-02.parquet": "failed",
        "2025-01-03.parquet": "loaded",
        "2025-01-04.parquet": "loaded",
        "2025-01-05.parquet": "failed",
    }
    bad = one(result, "usage/daily/2025-01/2025-01-02.parquet")
    assert bad.error.startswith("usage/daily/2025-01/2025-01-02.parquet cannot be loaded")
    assert not bad.retryable
    unreadable = one(result, "usage/daily/2025-01/2025-01-05.parquet")
    assert "cannot be read as Parquet" in unreadable.error
    assert rows(con, "select count(*), count(distinct _source_file) from raw.usage__daily") == [
        (600, 3)
    ]
    assert any("one by one" in m for m in messages)
    again, _ = load(con, zone, "usage", run_id="r2")  # failed files are not retried as is
    assert again.files == [] and again.unchanged == 5


def test_parquet_missing_required_column_is_rejected_alone(con, zone: Path) -> None:
    put(zone, "usage/daily/2025-01-01.parquet", daily(date(2025, 1, 1)).drop_columns(["devices"]))
    put(zone, "usage/daily/2025-01-02.parquet", daily(date(2025, 1, 2)))
    result, _ = load(con, zone, "usage")
    fr = one(result, "usage/daily/2025-01-01.parquet")
    assert fr.status == "failed"
    assert "usage/daily/2025-01-01.parquet lacks required column(s) devices" in fr.error
    assert one(result, "usage/daily/2025-01-02.parquet").rows_loaded == 5


def test_bad_parquet_rows_are_quarantined_per_file(con, zone: Path) -> None:
    put(zone, "usage/daily/2025-01-01.parquet", daily(date(2025, 1, 1)))
    put(
        zone,
        "usage/daily/2025-01-02.parquet",
        daily(
            date(2025, 1, 2),
            n=3,
            event_count=pa.array([0, 2, 5], pa.int64()),
            user_id=pa.array(["U1", None, "U3"]),
        ),
    )
    result, _ = load(con, zone, "usage")
    f1, f2 = result.files
    assert (f1.rows_read, f1.rows_loaded, f1.rows_quarantined) == (5, 5, 0)
    assert (f2.rows_read, f2.rows_loaded, f2.rows_quarantined) == (3, 1, 2)
    q = quarantine(con)
    assert [(r[0], r[1], r[3]) for r in q] == [
        ("usage/daily/2025-01-02.parquet", 1, "event_count: 0 is below the minimum 1"),
        ("usage/daily/2025-01-02.parquet", 2, "user_id: required value is missing"),
    ]
    assert json.loads(q[0][2]) == {
        "activity_date": "2025-01-02",
        "account_id": "A1",
        "user_id": "U1",
        "feature": "core_action",
        "event_count": 0,
        "devices": 1,
    }
    assert rows(
        con,
        "select file, rows_read, rows_loaded, rows_quarantined from dq.load_manifest order by 1",
    ) == [
        ("usage/daily/2025-01-01.parquet", 5, 5, 0),
        ("usage/daily/2025-01-02.parquet", 3, 1, 2),
    ]


def users(created: pa.Array, **over) -> pa.Table:
    n = len(created)
    cols = {
        "user_id": pa.array([f"U{i}" for i in range(n)]),
        "account_id": pa.array(["A1"] * n),
        "role": pa.array(["admin"] * n),
        "created_at": created,
        "first_login_at": pa.array([None] * n, created.type),
        "deactivated_at": pa.array([None] * n, created.type),
    }
    cols.update(over)
    return pa.table(cols)


def test_parquet_timestamps_naive_are_japan_time_and_aware_are_converted(con, zone: Path) -> None:
    naive = pa.array([datetime(2025, 1, 1, 10, 0)], pa.timestamp("us"))
    aware = pa.array([datetime(2025, 1, 1, 1, 0, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))
    text = pa.array(["2025-01-01T10:00:00+09:00"])
    put(zone, "usage/users_2025-01.parquet", users(naive))
    put(zone, "usage/users_2025-02.parquet", users(aware, user_id=pa.array(["U9"])))
    put(zone, "usage/users_2025-03.parquet", users(text, user_id=pa.array(["U8"])))
    result, _ = load(con, zone, "usage")
    assert [f.status for f in result.files] == ["loaded"] * 3
    assert rows(con, "select user_id, created_at from raw.usage__users order by _source_file") == [
        ("U0", datetime(2025, 1, 1, 10, 0)),
        ("U9", datetime(2025, 1, 1, 10, 0)),
        ("U8", datetime(2025, 1, 1, 10, 0)),
    ]


def test_parquet_text_columns_are_validated_like_csv(con, zone: Path) -> None:
    table = daily(
        date(2025, 1, 1),
        n=3,
        activity_date=pa.array(["2025-01-01", "2025-02-30", "2025-01-03"]),
        event_count=pa.array(["4", "x", "-2"]),
    )
    put(zone, "usage/daily/2025-01-01.parquet", table)
    result, _ = load(con, zone, "usage")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert [r[3] for r in quarantine(con)] == [
        "activity_date: '2025-02-30' is not a valid date (YYYY-MM-DD); "
        "event_count: 'x' is not a valid integer",
        "event_count: -2 is below the minimum 1",
    ]
    assert rows(con, "select activity_date, event_count from raw.usage__daily") == [
        (date(2025, 1, 1), 4)
    ]


def test_parquet_enum_and_extra_columns(con, zone: Path) -> None:
    created = pa.array([datetime(2025, 1, 1, 9)] * 2, pa.timestamp("us"))
    put(
        zone,
        "usage/users.parquet",
        users(created, role=pa.array(["member", "owner"]), department=pa.array(["営業", None])),
    )
    result, messages = load(con, zone, "usage")
    fr = one(result, "usage/users.parquet")
    assert (fr.rows_loaded, fr.rows_quarantined, fr.extra_columns) == (1, 1, ("department",))
    assert [r[3] for r in quarantine(con)] == ["role: 'owner' is not one of admin, member"]
    assert rows(con, "select _extra from raw.usage__users") == [('{"department":"営業"}',)]
    assert any("schema drift" in m and "department" in m for m in messages)


def test_identical_parquet_under_another_name_is_skipped_duplicate(con, zone: Path) -> None:
    p = put(zone, "usage/daily/2025-01/2025-01-01.parquet", daily(date(2025, 1, 1)))
    (zone / "usage/daily/resend").mkdir(parents=True)
    (zone / "usage/daily/resend/2025-01-01.parquet").write_bytes(p.read_bytes())
    result, _ = load(con, zone, "usage")
    assert [(f.file, f.status, f.duplicate_of) for f in result.files] == [
        ("usage/daily/2025-01/2025-01-01.parquet", "loaded", None),
        (
            "usage/daily/resend/2025-01-01.parquet",
            "skipped_duplicate",
            "usage/daily/2025-01/2025-01-01.parquet",
        ),
    ]
    assert result.table_rows["usage__daily"] == 5
    again, _ = load(con, zone, "usage", run_id="r2")
    assert again.files == [] and again.unchanged == 2


def test_failure_inside_a_batch_rolls_back_the_whole_batch(con, zone: Path, monkeypatch) -> None:
    import dagster_project.extract.parquet as parquet

    for d in (1, 2):
        put(zone, f"usage/daily/2025-01-0{d}.parquet", daily(date(2025, 1, d)))

    def boom(*a, **k):
        raise RuntimeError("killed")

    monkeypatch.setattr(parquet, "write_manifest", boom)
    with pytest.raises(RuntimeError, match="killed"):
        load_source(con, zone, "usage", "r1")
    assert rows(con, "select count(*) from raw.usage__daily") == [(0,)]
    monkeypatch.undo()
    result, _ = load(con, zone, "usage", run_id="r2")
    assert [f.rows_loaded for f in result.files] == [5, 5]


def test_copy_of_a_file_that_failed_in_the_same_run_is_not_called_a_duplicate(
    con, zone: Path
) -> None:
    p = put(zone, "usage/daily/a/2025-01-01.parquet", daily(date(2025, 1, 1), n=200))
    corrupt(p, 300)
    (zone / "usage/daily/b").mkdir(parents=True)
    (zone / "usage/daily/b/2025-01-01.parquet").write_bytes(p.read_bytes())
    result, _ = load(con, zone, "usage")
    assert [(f.file, f.status, f.duplicate_of) for f in result.files] == [
        ("usage/daily/a/2025-01-01.parquet", "failed", None),
        ("usage/daily/b/2025-01-01.parquet", "failed", None),
    ]
