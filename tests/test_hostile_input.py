"""Hostile and careless deliveries: symlinks out of the landing zone, names that escape it or
hold control characters, a file with one enormous line, JSON nested 100,000 levels deep.

Each ends in a clear ``failed`` manifest row (nothing of it read) or a quarantined record,
and nothing else is lost: the tiny generated zone with every hostile file added loads
exactly the rows the same zone loads without them (CONTRACT.md section 1, "Bad input").
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.extract import ensure_schemas, load_source
from dagster_project.extract.limits import MAX_JSON_DEPTH, MAX_LINE_BYTES
from dagster_project.extract.text import json_depth_over
from dagster_project.extract.zone import OUTSIDE, resolve_in_zone
from dagster_project.sources import ENTITIES, SOURCES

ACCOUNTS_HEADER = "account_id,account_name,industry,employee_count,region,csm_owner,created_at"
EVIL_ACCOUNT = "EVIL1,Evil Corp,IT,10,Tokyo,sato,2025-01-01"
TICKET = (
    '{{"id":"{id}","organization_id":"A1","requester_email":"a@x.jp","subject":"s",'
    '"created_at":"2025-01-01 09:00:00","updated_at":"2025-01-01 09:00:00","solved_at":null,'
    '"status":"open","priority":"low","channel":"web","category":"c","satisfaction":null}}'
)


def load_all(zone: Path, con: duckdb.DuckDBPyConnection | None = None, run_id: str = "r1"):
    """Every source of the zone into an in-memory DuckDB: (connection, rows per raw table)."""
    con = con or duckdb.connect()
    ensure_schemas(con)
    for source in SOURCES:
        load_source(con, zone, source, run_id, log=lambda m: None)
    counts = {
        e.table: con.execute(f"select count(*) from raw.{e.table}").fetchone()[0] for e in ENTITIES
    }
    return con, counts


def manifest(con, file: str) -> tuple[str, str, int]:
    rows = con.execute(
        "select status, error, rows_loaded from dq.load_manifest where file = ?", [file]
    ).fetchall()
    assert len(rows) == 1, f"{file!r}: {rows}"
    return rows[0]


def write_long_line(path: Path, head: bytes, megabytes: int) -> None:
    block = b"x" * (1 << 20)
    with path.open("wb") as f:
        f.write(head)
        for _ in range(megabytes):
            f.write(block)


@pytest.fixture(scope="module")
def baseline(tiny_zone: Path) -> dict[str, int]:
    con, counts = load_all(tiny_zone)
    con.close()
    return counts


@pytest.fixture(scope="module")
def hostile(tiny_zone: Path, tmp_path_factory: pytest.TempPathFactory):
    """The tiny zone plus every hostile file, loaded once: (zone, connection, row counts)."""
    root = tmp_path_factory.mktemp("hostile")
    zone = root / "raw"
    shutil.copytree(tiny_zone, zone)
    outside = root / "outside"
    (outside / "daily").mkdir(parents=True)
    secret = outside / "passwd"  # stands for /etc/passwd: loadable if it were followed
    secret.write_text(f"{ACCOUNTS_HEADER}\n{EVIL_ACCOUNT}\n", encoding="utf-8")
    a_day = sorted((zone / "usage" / "daily").rglob("*.parquet"))[0]
    shutil.copy(a_day, outside / "daily" / "usage_2099-01-01.parquet")

    crm = zone / "crm"
    (crm / "accounts_passwd.csv").symlink_to(secret)  # file symlink out of the zone
    (zone / "usage" / "daily" / "2099").symlink_to(outside / "daily")  # folder symlink out
    (crm / "accounts_latest.csv").symlink_to(crm / "accounts.csv")  # inside: a duplicate
    (crm / "accounts_a\nb.csv").write_text(f"{ACCOUNTS_HEADER}\n{EVIL_ACCOUNT}\n")
    bad_utf8 = os.fsencode(crm) + b"/accounts_\xff.csv"
    with open(bad_utf8, "wb") as f:
        f.write(f"{ACCOUNTS_HEADER}\n{EVIL_ACCOUNT}\n".encode())
    os.mkfifo(crm / "accounts_fifo.csv")  # opening it for reading would block for ever
    # 200 MB without a line break after the header
    write_long_line(crm / "contacts_huge.csv", b"contact_id,account_id\nC1,", 200)
    write_long_line(
        zone / "marketing" / "engagements_huge.jsonl",
        b'{"event_id":"EVIL","email":"a@x.jp"}\n{"event_id":"',
        MAX_LINE_BYTES // (1 << 20) + 4,
    )
    deep = "[" * 100_000 + "]" * 100_000
    (zone / "support" / "tickets_deep.jsonl").write_text(
        "\n".join([TICKET.format(id="HOSTILE-1"), deep, TICKET.format(id="HOSTILE-2")]) + "\n"
    )
    con, counts = load_all(zone)
    yield zone, con, counts
    con.close()
    for big in (crm / "contacts_huge.csv", zone / "marketing" / "engagements_huge.jsonl"):
        big.unlink()  # 220 MB that pytest would otherwise keep for three sessions


def test_nothing_else_is_lost(hostile, baseline) -> None:
    _, con, counts = hostile
    expected = dict(baseline, support__tickets=baseline["support__tickets"] + 2)
    assert counts == expected
    assert not con.execute(
        "select count(*) from raw.crm__accounts where account_id = 'EVIL1'"
    ).fetchone()[0]
    assert not con.execute(
        "select count(*) from dq.load_manifest where rows_read <> rows_loaded + rows_quarantined"
    ).fetchone()[0]


def test_file_symlink_out_of_the_zone_is_not_read(hostile) -> None:
    _, con, _ = hostile
    status, error, _ = manifest(con, "crm/accounts_passwd.csv")
    assert status == "failed"
    assert "crm/accounts_passwd.csv" in error and OUTSIDE in error
    assert not con.execute(
        "select count(*) from dq.quarantine where raw_record like '%EVIL%'"
    ).fetchone()[0]


def test_folder_symlink_out_of_the_zone_is_not_walked(hostile) -> None:
    _, con, _ = hostile
    status, error, _ = manifest(con, "usage/daily/2099")
    assert status == "failed"
    assert f"folder {OUTSIDE}" in error
    assert not con.execute(
        "select count(*) from dq.load_manifest where file like 'usage/daily/2099/%'"
    ).fetchone()[0]


def test_symlink_inside_the_zone_is_read_through_its_target(hostile) -> None:
    _, con, _ = hostile
    status, _, _ = manifest(con, "crm/accounts_latest.csv")
    assert status == "skipped_duplicate"


@pytest.mark.parametrize(
    ("shown", "why"),
    [
        ("crm/accounts_a\\nb.csv", "control or invisible character (\\n)"),
        ("crm/accounts_\\xff.csv", "not valid UTF-8"),
    ],
)
def test_odd_file_names_are_refused_and_shown_escaped(hostile, shown: str, why: str) -> None:
    _, con, _ = hostile
    status, error, _ = manifest(con, shown)
    assert status == "failed"
    assert why in error and "rename it" in error
    assert "\n" not in error


def test_fifo_is_refused_without_blocking(hostile) -> None:
    _, con, _ = hostile
    status, error, _ = manifest(con, "crm/accounts_fifo.csv")
    assert (status, error) == (
        "failed",
        "crm/accounts_fifo.csv refused: not a regular file; not read",
    )


@pytest.mark.parametrize("file", ["crm/contacts_huge.csv", "marketing/engagements_huge.jsonl"])
def test_file_with_an_enormous_line_is_rejected(hostile, file: str) -> None:
    _, con, _ = hostile
    status, error, _ = manifest(con, file)
    assert status == "failed"
    assert error == (
        f"{file} cannot be read: line 2 is longer than 16 MB (a missing line break?); "
        "the file was not loaded"
    )


def test_deeply_nested_json_record_is_quarantined_alone(hostile) -> None:
    _, con, _ = hostile
    status, _, loaded = manifest(con, "support/tickets_deep.jsonl")
    assert (status, loaded) == ("loaded", 2)
    ((row_number, reason),) = con.execute(
        "select row_number, reason from dq.quarantine where file = 'support/tickets_deep.jsonl'"
    ).fetchall()
    assert row_number == 2
    assert f"line 2 nests arrays or objects deeper than {MAX_JSON_DEPTH} levels" in reason


def test_a_second_run_records_nothing_again(hostile) -> None:
    zone, con, _ = hostile
    before = con.execute("select count(*) from dq.load_manifest").fetchone()[0]
    load_all(zone, con, run_id="r2")
    assert con.execute("select count(*) from dq.load_manifest").fetchone()[0] == before


def test_the_sensor_names_files_as_the_manifest_does(hostile) -> None:
    """The landing-zone sensor must not take a refused name for a new file on every tick
    (an escaped name in the manifest, the raw one in the zone): one run, then quiet."""
    from dagster_project.automation import landing_files, scan

    zone, con, _ = hostile
    known = {r[0] for r in con.execute("select distinct file from dq.load_manifest").fetchall()}
    current = landing_files(zone)
    assert "crm/accounts_a\\nb.csv" in current and "usage/daily/2099" in current
    assert scan(current, known, current).ready == []


# ------------------------------------------------------------------- small, hand-made zones


def test_source_folder_symlinked_out_of_the_zone(tmp_path: Path) -> None:
    zone, outside = tmp_path / "raw", tmp_path / "outside"
    (outside / "crm").mkdir(parents=True)
    (outside / "crm" / "accounts.csv").write_text(f"{ACCOUNTS_HEADER}\n{EVIL_ACCOUNT}\n")
    zone.mkdir()
    (zone / "crm").symlink_to(outside / "crm")
    (zone / "nps").mkdir()
    (zone / "nps" / "responses.csv").write_text(
        "response_id,email,account_id,sent_at,responded_at,score,comment\n"
        "R1,a@x.jp,A1,2025-01-01 09:00:00,2025-01-02 10:00:00,9,\n"
    )
    con, counts = load_all(zone)
    status, error, _ = manifest(con, "crm")
    assert status == "failed" and error.startswith(f"crm refused: folder {OUTSIDE}")
    assert counts["crm__accounts"] == 0
    assert counts["nps__responses"] == 1


def test_a_loop_of_folder_symlinks_ends(tmp_path: Path) -> None:
    zone = tmp_path / "raw"
    (zone / "usage" / "daily").mkdir(parents=True)
    (zone / "usage" / "daily" / "loop").symlink_to(zone / "usage")
    con, counts = load_all(zone)
    assert counts["usage__daily"] == 0
    con.close()


def _a_usage_day(folder: Path, con: duckdb.DuckDBPyConnection) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    day = (
        "select date '2026-01-05' as activity_date, 'A1' as account_id, 'U1' as user_id, "
        "'search' as feature, 3 as event_count, 1 as devices"
    )
    con.execute(f"copy ({day}) to '{folder / 'usage_2026-01-05.parquet'}'")


def test_a_folder_reached_by_a_symlink_too_loads_once_under_its_real_name(tmp_path: Path) -> None:
    zone = tmp_path / "raw"
    con = duckdb.connect()
    _a_usage_day(zone / "usage" / "daily" / "2026", con)
    (zone / "usage" / "daily" / "0latest").symlink_to(zone / "usage" / "daily" / "2026")
    _, counts = load_all(zone, con)
    assert counts["usage__daily"] == 1
    assert con.execute("select file, status from dq.load_manifest").fetchall() == [
        ("usage/daily/2026/usage_2026-01-05.parquet", "loaded")
    ]


def test_a_very_deep_folder_tree_does_not_exhaust_the_stack(tmp_path: Path) -> None:
    zone = tmp_path / "raw"
    con = duckdb.connect()
    top = zone / "usage" / "daily"
    top.mkdir(parents=True)
    deep = top
    for _ in range(1200):  # deeper than Python's recursion limit (Path.mkdir would recurse)
        deep = deep / "d"
        deep.mkdir()
    try:
        _a_usage_day(deep, con)
        _, counts = load_all(zone, con)
        assert counts["usage__daily"] == 1
    finally:  # bottom up: shutil.rmtree (pytest's tmp cleanup) recurses and would fail on it
        for f in deep.iterdir():
            f.unlink()
        while deep != top:
            deep.rmdir()
            deep = deep.parent


def test_parquet_folder_names_are_not_data_and_glob_names_are_refused(tmp_path: Path) -> None:
    zone = tmp_path / "raw"
    folder = zone / "usage" / "daily" / "account_id=EVIL"
    folder.mkdir(parents=True)
    con = duckdb.connect()
    day = (
        "select date '2026-01-05' as activity_date, 'A1' as account_id, 'U1' as user_id, "
        "'search' as feature, 3 as event_count, 1 as devices"
    )
    con.execute(f"copy ({day}) to '{folder / 'usage_2026-01-05.parquet'}'")
    shutil.copy(folder / "usage_2026-01-05.parquet", folder / "usage_*.parquet")
    _, counts = load_all(zone, con)
    assert counts["usage__daily"] == 1
    assert con.execute("select account_id from raw.usage__daily").fetchall() == [("A1",)]
    status, error, _ = manifest(con, "usage/daily/account_id=EVIL/usage_*.parquet")
    assert status == "failed" and "glob character" in error


@pytest.mark.parametrize(
    "rel", ["../outside.csv", "/etc/passwd", "crm/../../outside.csv", "crm//accounts.csv"]
)
def test_names_that_escape_the_zone_are_refused(tmp_path: Path, rel: str) -> None:
    with pytest.raises(ValueError, match="landing zone"):
        resolve_in_zone(tmp_path.resolve(), rel)


def test_a_symlink_on_the_way_out_is_refused_by_resolve(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "crm").symlink_to(tmp_path)
    with pytest.raises(ValueError, match="outside the landing zone"):
        resolve_in_zone((tmp_path / "raw").resolve(), "crm/x.csv")


@pytest.mark.parametrize(
    ("text", "deep"),
    [
        ("[" * 65 + "]" * 65, True),
        ("[" * 64 + "]" * 64, False),
        ('{"a": "' + "[" * 100 + '"}', False),  # brackets inside a string do not nest
        ('["a\\"' + "[" * 100 + '"]', False),  # nor after an escaped quote
        ('["a\\\\", ' + "[" * 100 + "]" * 100 + "]", True),  # an escaped backslash ends it
    ],
)
def test_json_depth_counts_brackets_outside_strings(text: str, deep: bool) -> None:
    assert json_depth_over(text) is deep
