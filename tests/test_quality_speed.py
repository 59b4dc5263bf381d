"""The speed measurement helper: pushdown and pandas agree; the figures are printed."""

from __future__ import annotations

from pathlib import Path

from dagster_project.quality.bench import time_usage_validation


def test_pushdown_and_pandas_agree_and_are_timed(tmp_path: Path) -> None:
    t = time_usage_validation(200_000, workdir=tmp_path)
    print(
        f"\n{t.rows:,} usage rows, {t.expectations} expectations: pushdown {t.sql_seconds:.2f} s,"
        f" pandas {t.pandas_seconds:.2f} s"
    )
    assert t.expectations >= 8
    assert t.sql_seconds > 0 and t.pandas_seconds > 0
