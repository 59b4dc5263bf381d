"""The serving copy is replaced atomically and never blocks or confuses a reader."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dagster_project.publish import NOT_PUBLISHED, publish, record_publication


def _warehouse(path: Path, score: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts")
    con.execute("create schema if not exists dq")
    con.execute("create schema if not exists staging")
    con.execute("create schema if not exists raw")
    con.execute(
        "create or replace table marts.fct_account_health as select 'A1' as account_id, "
        f"{score} as health_score"
    )
    con.execute("create or replace table raw.big as select 1 as x")
    con.execute("create or replace table staging.stg_usage__daily as select 1 as x")
    con.execute("create or replace view staging.stg_crm__accounts as select 'A1' as account_id")
    record_publication(con, f"run-{score}", "2026-10-31")
    con.close()


def _score(serving: Path) -> int:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return con.execute("select health_score from marts.fct_account_health").fetchone()[0]
    finally:
        con.close()


def test_publish_copies_published_schemas_only(tmp_path: Path) -> None:
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "out" / "serving.duckdb"
    _warehouse(wh, 70)
    result = publish(wh, serving)
    con = duckdb.connect(str(serving), read_only=True)
    tables = set(
        con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
    )
    con.close()
    names = {t[0] for t in tables}
    assert {"marts.fct_account_health", "dq.publish_log", "staging.stg_crm__accounts"} <= names
    assert "raw.big" not in names
    assert all(f"{s}.{t}" not in names for s, t in NOT_PUBLISHED)
    assert result.tables == len(names)
    # Views become tables: the copy must not depend on the warehouse file.
    assert _score(serving) == 70
    assert not list(serving.parent.glob(".*tmp*")), "temporary file left behind"


def test_reader_keeps_old_copy_and_new_reader_sees_new(tmp_path: Path) -> None:
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    _warehouse(wh, 70)
    publish(wh, serving)
    reader = duckdb.connect(str(serving), read_only=True)  # a dashboard mid-query
    _warehouse(wh, 42)
    publish(wh, serving)  # must not fail on the reader's open handle
    assert reader.execute("select health_score from marts.fct_account_health").fetchone()[0] == 70
    reader.close()
    assert _score(serving) == 42


def test_failed_copy_leaves_serving_untouched(tmp_path: Path, monkeypatch) -> None:
    wh, serving = tmp_path / "wh.duckdb", tmp_path / "serving.duckdb"
    _warehouse(wh, 70)
    publish(wh, serving)
    _warehouse(wh, 42)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("dagster_project.publish.os.replace", boom)
    with pytest.raises(OSError):
        publish(wh, serving)
    assert _score(serving) == 70
    assert [p.name for p in tmp_path.iterdir() if "tmp" in p.name] == []
