"""The semantic layer (MetricFlow through `cswh metrics`) on a published serving copy gives
the figures of marts.mart_kpi_monthly, never locks the working warehouse, and a broken
semantic model fails `dbt parse`."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.metrics import mf_args, prepare_shell
from tests.support import query, run_cswh

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path):
    from tests.support import published_tiny

    return published_tiny(tmp_path_factory, tiny_zone)


def _metrics(published, tmp_path: Path, *args: str) -> list[dict[str, str]]:
    out = tmp_path / "result.csv"
    env = {**published.env, "CSWH_METRICS_DIR": str(tmp_path.parent / "semantic")}
    result = run_cswh("metrics", *args, "--csv", str(out), env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with out.open() as f:
        return list(csv.DictReader(f))


def _day(value: str) -> date:
    return datetime.fromisoformat(value).date()


def test_renewal_rate_by_fiscal_quarter_and_segment_equals_mart(published, tmp_path: Path) -> None:
    rows = _metrics(
        published,
        tmp_path,
        "--metrics",
        "renewal_rate,renewals_due,renewed",
        "--group-by",
        "metric_time__fiscal_quarter,segment",
    )
    got = {
        (_day(r["metric_time__fiscal_quarter"]), r["account__segment"]): (
            int(r["renewals_due"]),
            int(r["renewed"]),
            float(r["renewal_rate"]),
        )
        for r in rows
    }
    expected = {
        (quarter, segment): (due, renewed, rate)
        for quarter, segment, due, renewed, rate in query(
            published.serving,
            "select c.fiscal_quarter_start, k.segment, sum(k.renewals_due), sum(k.renewed), "
            "sum(k.renewed) / cast(sum(k.renewals_due) as double) "
            "from marts.mart_kpi_monthly k "
            "join marts.dim_calendar c on c.date_day = k.month "
            "where k.segment <> 'all' group by 1, 2 having sum(k.renewals_due) > 0",
        )
    }
    assert len(expected) >= 4, expected  # several quarters and segments, or the test says little
    assert got.keys() == expected.keys()
    for key, (due, renewed, rate) in expected.items():
        assert got[key][:2] == (due, renewed), key
        assert got[key][2] == pytest.approx(rate, abs=1e-6), key


def test_health_stocks_by_month_and_segment_equal_mart(published, tmp_path: Path) -> None:
    rows = _metrics(published, tmp_path, "--saved-query", "health_by_month_and_segment")
    got = {(_day(r["metric_time__month"]), r["account__segment"]): r for r in rows}
    expected = query(
        published.serving,
        "select month, segment, active_customers, avg_health_score, at_risk_accounts "
        "from marts.mart_kpi_monthly where segment <> 'all' and health_snapshot_date is not null "
        "and active_customers > 0",
    )
    assert len(expected) >= 12, expected
    for month, segment, active, health, at_risk in expected:
        r = got[(month, segment)]
        assert int(r["active_customers"]) == active, (month, segment)
        assert float(r["avg_health_score"]) == pytest.approx(health, abs=1e-6), (month, segment)
        assert int(r["at_risk_accounts"] or 0) == at_risk, (month, segment)


def test_ctas_by_month_equal_mart(published, tmp_path: Path) -> None:
    rows = _metrics(published, tmp_path, "--saved-query", "ctas_by_month")
    got = {
        _day(r["metric_time__month"]): (int(r["ctas_raised"]), int(r["ctas_won"] or 0))
        for r in rows
    }
    expected = {
        month: (raised, won)
        for month, raised, won in query(
            published.serving,
            "select month, ctas_raised, ctas_won from marts.mart_kpi_monthly "
            "where segment = 'all' and ctas_raised > 0",
        )
    }
    assert expected and got == expected


def test_metrics_read_the_serving_copy_while_the_warehouse_is_locked(
    published, tmp_path: Path
) -> None:
    """A writer holds the working warehouse (as a run does), and dbt/target is left alone."""
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    before = manifest.stat().st_mtime_ns if manifest.exists() else None
    lock_copy = tmp_path / "warehouse.duckdb"
    shutil.copy(published.warehouse, lock_copy)
    writer = duckdb.connect(str(lock_copy))
    try:
        env = {**published.env, "CSWH_WAREHOUSE": str(lock_copy)}
        published_env = type(published)(published.root, env, published.result)
        rows = _metrics(published_env, tmp_path, "--metrics", "nps_responses")
        assert int(rows[0]["nps_responses"]) > 0
    finally:
        writer.close()
    assert (manifest.stat().st_mtime_ns if manifest.exists() else None) == before


def test_bare_segment_means_the_accounts_segment() -> None:
    assert mf_args(["--group-by", "metric_time__month,segment", "--order", "-segment"]) == [
        "query",
        "--group-by",
        "metric_time__month,account__segment",
        "--order",
        "-account__segment",
    ]
    assert mf_args(["list", "metrics"]) == ["list", "metrics"]


def test_rows_come_in_the_order_of_the_group_by_unless_ordered() -> None:
    assert mf_args(
        ["--metrics", "renewal_rate", "--group-by", "metric_time__fiscal_quarter,segment"]
    )[-2:] == ["--order", "metric_time__fiscal_quarter,account__segment"]
    assert mf_args(["--metrics", "nps", "--group-by=metric_time__month"])[-2:] == [
        "--order",
        "metric_time__month",
    ]
    assert "--order" not in mf_args(["--saved-query", "renewal_rate_by_fiscal_quarter"])


def _parse(shell: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    from dagster_project.metrics import parse

    return parse(shell, env)


def test_dbt_parse_validates_the_semantic_manifest(tmp_path: Path, monkeypatch) -> None:
    """dbt parse runs MetricFlow's semantic validations: the project parses, and a metric
    on a measure that does not exist makes it fail."""
    import dagster_project.metrics as metrics

    env = {
        "PATH": "/usr/bin:/bin",
        "CSWH_SERVING": str(tmp_path / "serving.duckdb"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    shell = prepare_shell(tmp_path / "good")
    good = _parse(shell, {**env, "DBT_PROFILES_DIR": str(shell)})
    assert good.returncode == 0, good.stdout + good.stderr
    assert (shell / "target" / "semantic_manifest.json").exists()

    broken = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, broken, ignore=shutil.ignore_patterns("target", "logs"))
    (broken / "models" / "semantic" / "_broken.yml").write_text(
        "version: 2\nmetrics:\n  - name: broken_metric\n    label: Broken\n    type: simple\n"
        "    type_params:\n      measure: no_such_measure\n"
    )
    monkeypatch.setattr(metrics, "DBT_PROJECT_DIR", broken)
    shell = prepare_shell(tmp_path / "bad")
    bad = _parse(shell, {**env, "DBT_PROFILES_DIR": str(shell)})
    assert bad.returncode != 0
    assert "no_such_measure" in bad.stdout + bad.stderr
