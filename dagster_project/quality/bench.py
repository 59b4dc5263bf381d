"""Speed of validation: SQL pushdown versus the pandas path, and per layer on a warehouse.

python -m dagster_project.quality.bench --rows 1000000        # synthetic usage rows
python -m dagster_project.quality.bench --warehouse FILE      # every suite, per layer
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from dagster_project.as_of import resolve_as_of
from dagster_project.quality.runner import run_suites
from dagster_project.quality.suites import Suite, mart_suites, raw_suites


@dataclass
class Timing:
    rows: int
    expectations: int
    sql_seconds: float
    pandas_seconds: float


def _column_rules(suite: Suite) -> Suite:
    """The expectations both paths can evaluate (SQL rules have no pandas form)."""
    kept = [e for e in suite.expectations if e.expectation_type != "unexpected_rows_expectation"]
    return Suite(suite.schema, suite.table, suite.description, kept)


def make_usage_table(path: Path, rows: int) -> Path:
    """raw.usage__daily with ``rows`` synthetic rows (extractor DDL), one load."""
    from dagster_project.extract import ensure_schemas

    con = duckdb.connect(str(path))
    try:
        ensure_schemas(con)
        con.execute(
            "insert into raw.usage__daily (activity_date, account_id, user_id, feature,"
            " event_count, devices, _run_id, _source_file, _row_number, _loaded_at)"
            " select date '2026-10-31' - cast(i % 540 as integer), 'A' || (i % 1000),"
            " 'U' || (i // 540), ['web_session', 'core_action', 'search'][1 + i % 3],"
            " 1 + i % 9, 1 + i % 2, 'bench', 'usage/daily/bench.parquet', i + 1, now()"
            " from range(?) r(i)",
            [rows],
        )
    finally:
        con.close()
    return path


def time_usage_validation(rows: int, workdir: Path | None = None) -> Timing:
    """Validate the column rules of raw.usage__daily on ``rows`` rows both ways."""
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        wh = make_usage_table(Path(tmp) / "bench.duckdb", rows)
        suite = _column_rules(next(s for s in raw_suites() if s.table == "usage__daily"))
        run_suites(wh, [suite], "warmup", write=False)  # imports, shim, first connection
        t0 = time.perf_counter()
        sql = run_suites(wh, [suite], "bench-sql", write=False)
        t1 = time.perf_counter()
        pandas = run_suites(wh, [suite], "bench-pandas", engine="pandas", write=False)
        t2 = time.perf_counter()
        assert [r.success for r in sql[0].results] == [r.success for r in pandas[0].results]
        return Timing(rows, len(suite.expectations), t1 - t0, t2 - t1)


def time_warehouse(warehouse: Path) -> dict[str, tuple[int, float]]:
    """Every suite on a warehouse: layer -> (expectations evaluated, seconds)."""
    as_of = resolve_as_of(warehouse)
    out = {}
    for layer, suites in (("raw", raw_suites(as_of)), ("marts", mart_suites())):
        t0 = time.perf_counter()
        outcomes = run_suites(warehouse, suites, "bench", write=False)
        evaluated = sum(len(o.results) for o in outcomes if not o.skipped)
        out[layer] = (evaluated, time.perf_counter() - t0)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, nargs="*", default=[])
    p.add_argument("--warehouse", type=Path)
    args = p.parse_args()
    for rows in args.rows:
        t = time_usage_validation(rows)
        print(
            f"{t.rows:>12,} rows, {t.expectations} expectations: pushdown {t.sql_seconds:.1f} s, "
            f"pandas {t.pandas_seconds:.1f} s"
        )
    if args.warehouse:
        for layer, (n, seconds) in time_warehouse(args.warehouse).items():
            print(f"{layer:>6}: {n} expectations evaluated in {seconds:.1f} s")


if __name__ == "__main__":
    main()
