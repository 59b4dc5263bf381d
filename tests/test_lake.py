"""The lake (issue 18): the raw layer as Parquet under $CSWH_LAKE, written by every run.

Real `cswh run`s on the tiny zone: the shared published run (its lake is the default, `lake`
beside the landing zone), then a private clone run again with no new file, with one new
delivery and with --full-refresh; and a second clean run of the same zone (determinism)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.lake import EMPTY_FILE, lake_tables, write_lake
from tests.support import clone_root, cswh_env, published_tiny, query, run_cswh

pytestmark = pytest.mark.slow

# Raw's load metadata that differs between two runs of the same zone (a uuid, the clock).
PER_RUN = ("_run_id", "_loaded_at")


def _files(lake: Path) -> dict[str, str]:
    """Every Parquet file of the lake's source tables: relative path -> sha256 of its bytes."""
    return {
        str(p.relative_to(lake)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(lake.glob("*/*/*.parquet"))
        if p.parts[-3] != "meta"
    }


def _lake_rows(lake: Path, schema: str, table: str, columns: str = "*") -> str:
    return (
        f"(select {columns} from read_parquet('{lake / schema / table}/*.parquet', "
        "union_by_name = true))"
    )


def _raw_tables(warehouse: Path) -> list[str]:
    return [
        r[0]
        for r in query(
            warehouse,
            "select table_name from information_schema.tables where table_schema = 'raw' "
            "order by 1",
        )
    ]


def _raw_equals_lake(warehouse: Path, lake: Path, table: str, leave_out=()) -> list[tuple]:
    """Rows of raw.<table> missing from the lake and the other way round (empty: the same)."""
    names = [
        r[0]
        for r in query(
            warehouse,
            "select column_name from information_schema.columns where table_schema = 'raw' "
            "and table_name = ? order by ordinal_position",
            [table],
        )
        if r[0] not in leave_out
    ]
    cols = ", ".join(f'cast("{c}" as varchar)' if c == "_extra" else f'"{c}"' for c in names)
    lake_rows = _lake_rows(lake, "raw", table, cols)
    return query(
        warehouse,
        f"(select {cols} from raw.{table} except all select * from {lake_rows}) union all "
        f"(select * from {lake_rows} except all select {cols} from raw.{table})",
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory, tiny_zone: Path):
    return published_tiny(tmp_path_factory, tiny_zone)


def test_a_run_writes_a_lake_folder_per_source_table_with_raws_rows(published) -> None:
    lake = published.root / "lake"  # the default: beside the landing zone
    assert lake.is_dir(), "no lake beside the landing zone"
    for t in lake_tables():
        files = sorted((lake / t.schema / t.name).iterdir())
        assert files, f"{t.schema}/{t.name}: no file"
        assert all(f.suffix == ".parquet" and f.is_file() for f in files), files
        if not t.batches:  # dq: one file, rewritten whole
            assert [f.name for f in files] == [f"{t.name}.parquet"]
    for table in _raw_tables(published.warehouse):
        (raw,) = query(published.warehouse, f"select count(*) from raw.{table}")[0]
        (lake_n,) = query(
            published.warehouse, f"select count(*) from {_lake_rows(lake, 'raw', table)}"
        )[0]
        assert lake_n == raw, table
        assert _raw_equals_lake(published.warehouse, lake, table) == [], table
        if raw == 0:
            assert [f.name for f in (lake / "raw" / table).iterdir()] == [EMPTY_FILE]
    # the dq tables hold what the warehouse's did when dbt started (before the checks ran)
    (manifest,) = query(published.warehouse, "select count(*) from dq.load_manifest")[0]
    (lake_manifest,) = query(
        published.warehouse, f"select count(*) from {_lake_rows(lake, 'dq', 'load_manifest')}"
    )[0]
    assert lake_manifest == manifest


def test_quarantined_rows_are_not_in_the_lake(published) -> None:
    lake = published.root / "lake"
    quarantined = query(
        published.warehouse,
        "select source, entity, file, row_number from dq.quarantine "
        "where source <> 'seminars' order by all",  # a bad registration's seminar still loads
    )
    assert quarantined, "the tiny zone has quarantined rows"
    for source, entity, file, row_number in quarantined:
        found = query(
            published.warehouse,
            f"select count(*) from {_lake_rows(lake, 'raw', f'{source}__{entity}')} "
            "where _source_file = ? and _row_number = ?",
            [file, row_number],
        )
        assert found == [(0,)], (file, row_number)


def test_no_new_file_adds_nothing_a_delivery_adds_one_and_full_refresh_rebuilds(
    published, tmp_path: Path
) -> None:
    env = clone_root(published, tmp_path)
    shutil.copytree(published.root / "lake", tmp_path / "lake")
    lake = tmp_path / "lake"
    before = _files(lake)
    raw_before = {k: v for k, v in before.items() if k.startswith("raw/")}

    again = run_cswh("run", env=env)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    after = _files(lake)
    assert {k: v for k, v in after.items() if k.startswith("raw/")} == raw_before
    assert {k for k in after if k.startswith("dq/")} == {k for k in before if k.startswith("dq/")}

    # one new NPS delivery: exactly one new file, in raw/nps__responses only
    first_delivery = sorted((tmp_path / "raw" / "nps").glob("responses*.csv"))[0]
    header = first_delivery.read_text(encoding="utf-8-sig").splitlines()[0]
    columns = header.split(",")
    values = {
        "response_id": "R-LAKE-1",
        "email": "someone@example.com",
        "sent_at": "2026-10-30 09:00:00",
        "responded_at": "2026-10-30 10:00:00",
        "score": "9",
    }
    (tmp_path / "raw" / "nps" / "responses_zz_lake.csv").write_text(
        header + "\n" + ",".join(values.get(c, "") for c in columns) + "\n", encoding="utf-8"
    )
    delivered = run_cswh("run", env=env)
    assert delivered.returncode == 0, delivered.stdout[-3000:] + delivered.stderr[-3000:]
    third = _files(lake)
    new = sorted(set(third) - set(after))
    assert len(new) == 1 and new[0].startswith("raw/nps__responses/"), new
    assert {k: v for k, v in third.items() if k.startswith("raw/") and k not in new} == raw_before
    (n,) = query(
        Path(env["CSWH_WAREHOUSE"]),
        f"select count(*) from read_parquet('{lake / new[0]}') where response_id = 'R-LAKE-1'",
    )[0]
    assert n == 1

    # --full-refresh rebuilds it: a stray file goes, a lost file comes back, the same names
    (lake / "raw" / "nps__responses" / "stray.parquet").write_bytes(b"not parquet")
    lost = next(k for k in third if k.startswith("raw/crm__accounts/"))
    (lake / lost).unlink()
    rebuilt = run_cswh("run", "--full-refresh", env=env)
    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:] + rebuilt.stderr[-3000:]
    assert set(_files(lake)) == set(third)
    for table in _raw_tables(Path(env["CSWH_WAREHOUSE"])):
        assert _raw_equals_lake(Path(env["CSWH_WAREHOUSE"]), lake, table) == [], table


def test_two_clean_runs_of_the_same_zone_give_the_same_lake(
    published, tiny_zone: Path, tmp_path: Path
) -> None:
    """File names are the same; so are the rows, but for raw's own per-run load metadata
    (_run_id: a uuid, _loaded_at: the clock), which extraction writes and the lake keeps. Bytes:
    the same rows give the same file (a rebuild of one warehouse, twice)."""
    shutil.copytree(tiny_zone, tmp_path / "raw")
    env = cswh_env(tmp_path)
    result = run_cswh("run", env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    first, second = published.root / "lake", tmp_path / "lake"
    assert set(_files(first)) == set(_files(second))
    for table in _raw_tables(published.warehouse):
        assert _raw_equals_lake(published.warehouse, second, table, leave_out=PER_RUN) == [], table

    # bytes: the same warehouse written twice, to two new lakes
    con = duckdb.connect(str(env["CSWH_WAREHOUSE"]), read_only=True)
    try:
        write_lake(con, tmp_path / "lake_a")
        write_lake(con, tmp_path / "lake_b", rebuild=True)
    finally:
        con.close()
    a, b = _files(tmp_path / "lake_a"), _files(tmp_path / "lake_b")
    assert a == b
    assert {k: v for k, v in a.items() if k.startswith("raw/")} == {
        k: v for k, v in _files(second).items() if k.startswith("raw/")
    }
