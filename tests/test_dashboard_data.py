"""The dashboard's data access (dashboards/serving_data.py): read-only, versioned, never stale."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "dashboards"))
import serving_data  # noqa: E402


def _copy(path: Path, value: int) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute("create table marts.t as select ? as v", [value])
    con.close()
    return path


@pytest.fixture
def serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = _copy(tmp_path / "serving.duckdb", 1)
    monkeypatch.setenv("CSWH_SERVING", str(path))
    return path


def test_missing_copy_raises_a_named_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CSWH_SERVING", str(tmp_path / "none.duckdb"))
    assert serving_data.version() is None
    with pytest.raises(serving_data.ServingMissing):
        serving_data.query("select 1")


def test_reads_are_parameterised_and_read_only(serving) -> None:
    assert serving_data.query("select v from marts.t where v = ?", (1,))["v"].tolist() == [1]
    with pytest.raises(duckdb.Error):
        serving_data.query("create table marts.u (x int)")
    assert "marts.t" in serving_data.tables()
    # nothing holds the file: a writer can open it right away
    duckdb.connect(str(serving)).close()


def test_a_publish_is_seen_at_once_even_under_concurrent_reads(serving, tmp_path) -> None:
    assert serving_data.scalar("select v from marts.t") == 1
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader(n: int) -> None:
        while not stop.is_set():
            try:  # distinct SQL per call so each is a real read, not a cache hit
                serving_data.query(f"select v, {n} as n, random() as r from marts.t")
                serving_data._run.clear()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    try:
        new = _copy(tmp_path / "next.duckdb", 2)
        before = serving_data.version()
        os.replace(new, serving)
        assert serving_data.version() != before
        seen = {serving_data.scalar("select v from marts.t") for _ in range(30)}
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert seen == {2}
