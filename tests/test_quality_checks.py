"""The suites as Dagster asset checks: a critical failure blocks the publish asset, a
warning does not, and every result lands in dq.check_results with the Dagster run id."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.quality.checks import (
    CRITICAL_CHECK,
    WARNING_CHECK,
    build_quality_checks,
    failed_checks,
)
from dagster_project.quality.suites import MART_TABLES
from dagster_project.resources import Warehouse
from dagster_project.sources import ENTITIES
from tests.quality_support import build_warehouse

HEALTH = dg.AssetKey(["marts", "fct_account_health"])
DIM = dg.AssetKey(["marts", "dim_accounts"])
ACCOUNTS = dg.AssetKey(["raw", "crm__accounts"])


def _run(
    tmp_path: Path, monkeypatch, wh: Path | None = None, **broken
) -> tuple[dg.ExecuteInProcessResult, Path]:
    wh = wh or build_warehouse(tmp_path / "wh.duckdb", **broken)
    monkeypatch.setenv("CSWH_DOCS_DIR", str(tmp_path / "docs"))
    monkeypatch.setenv("CSWH_AS_OF", "2026-10-31")
    published = tmp_path / "published"

    @dg.asset(key=ACCOUNTS)
    def accounts() -> None: ...

    @dg.asset(key=DIM, deps=[ACCOUNTS])
    def dim() -> None: ...

    @dg.asset(key=HEALTH, deps=[ACCOUNTS])
    def health() -> None: ...

    @dg.asset(key=dg.AssetKey(["serving", "publish"]), deps=[DIM, HEALTH])
    def publish() -> None:
        published.write_text("yes")

    checks = build_quality_checks([ACCOUNTS, DIM, HEALTH])
    defs = dg.Definitions(
        assets=[accounts, dim, health, publish],
        asset_checks=checks,
        jobs=[
            dg.define_asset_job(
                "job", selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor
            )
        ],
        resources={"warehouse": Warehouse(path=str(wh))},
    )
    result = defs.resolve_job_def("job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    return result, wh


def _evaluations(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {
        ("/".join(e.asset_key.path), e.check_name): e for e in result.get_asset_check_evaluations()
    }


def test_checks_cover_every_raw_table_and_mart() -> None:
    checks = build_quality_checks()
    keys = {k for c in checks for k in c.check_keys}
    assets = {k.asset_key for k in keys}
    marts = {k.path[-1] for k in assets if k.path[0] == "marts"}
    assert marts == set(MART_TABLES)  # every mart with a suite is checked
    raw = {k.path[-1] for k in assets if k.path[0] == "raw"}
    assert raw == {e.table for e in ENTITIES}  # every landing-zone entity's raw table
    assert len(raw) == 17
    assert {k.name for k in keys} == {CRITICAL_CHECK, WARNING_CHECK}
    blocking = {s.key.name: s.blocking for c in checks for s in c.check_specs}
    assert blocking == {CRITICAL_CHECK: True, WARNING_CHECK: False}


@pytest.mark.timeout(600)
def test_critical_failure_blocks_publish(tmp_path: Path, monkeypatch) -> None:
    result, wh = _run(tmp_path, monkeypatch, health_score=130.0)
    evals = _evaluations(result)
    critical = evals[("marts/fct_account_health", CRITICAL_CHECK)]
    assert not critical.passed
    assert critical.severity == dg.AssetCheckSeverity.ERROR
    assert "health_score" in critical.description
    assert not (tmp_path / "published").exists()  # publish skipped
    names = failed_checks(result.all_events)
    assert any(
        n.startswith("marts/fct_account_health:critical_expectations (ERROR)") for n in names
    )
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "select run_id, severity, success, unexpected_count from dq.check_results "
        "where table_name = 'marts.fct_account_health' and column_name = 'health_score' "
        "and expectation = 'expect_column_values_to_be_between'"
    ).fetchall()
    con.close()
    assert rows == [(result.run_id, "critical", False, 1)]


@pytest.mark.timeout(600)
def test_warning_failure_still_publishes(tmp_path: Path, monkeypatch) -> None:
    result, wh = _run(tmp_path, monkeypatch, tier_ja="???")
    evals = _evaluations(result)
    assert evals[("marts/fct_account_health", CRITICAL_CHECK)].passed
    warning = evals[("marts/fct_account_health", WARNING_CHECK)]
    assert not warning.passed
    assert warning.severity == dg.AssetCheckSeverity.WARN
    assert (tmp_path / "published").read_text() == "yes"
    con = duckdb.connect(str(wh), read_only=True)
    (n,) = con.execute(
        "select count(*) from dq.check_results where run_id = ? and not success "
        "and severity = 'warning' and column_name = 'health_tier_ja'",
        [result.run_id],
    ).fetchone()
    con.close()
    assert n == 1


def _raw_accounts_results(wh: Path, run_id: str) -> int:
    con = duckdb.connect(str(wh), read_only=True)
    (n,) = con.execute(
        "select count(*) from dq.check_results where run_id = ? "
        "and table_name = 'raw.crm__accounts'",
        [run_id],
    ).fetchone()
    con.close()
    return n


@pytest.mark.timeout(600)
def test_unchanged_clean_raw_table_is_not_validated_again(tmp_path: Path, monkeypatch) -> None:
    first, wh = _run(tmp_path, monkeypatch)
    assert _evaluations(first)[("raw/crm__accounts", CRITICAL_CHECK)].passed
    assert _raw_accounts_results(wh, first.run_id) > 0

    second, _ = _run(tmp_path, monkeypatch, wh=wh)  # nothing loaded in between
    for check in (CRITICAL_CHECK, WARNING_CHECK):
        evaluation = _evaluations(second)[("raw/crm__accounts", check)]
        assert evaluation.passed
        assert "not re-validated" in evaluation.description
        assert first.run_id in evaluation.description
    assert _raw_accounts_results(wh, second.run_id) == 0
    # Marts are rebuilt every run: always validated.
    assert (
        "not re-validated"
        not in _evaluations(second)[("marts/dim_accounts", CRITICAL_CHECK)].description
    )


@pytest.mark.timeout(600)
def test_unchanged_raw_table_that_failed_is_validated_again(tmp_path: Path, monkeypatch) -> None:
    wh = build_warehouse(tmp_path / "wh.duckdb")
    con = duckdb.connect(str(wh))
    con.execute(  # a null account_name: critical in the raw suite
        "insert into raw.crm__accounts (account_id, account_name, industry, employee_count,"
        " region, created_at, _run_id, _source_file, _row_number, _loaded_at) values"
        " ('A9', null, 'it', 5, 'kanto', date '2025-01-01', 'r0', 'crm/accounts_2026-10-01.csv',"
        " 99, now())"
    )
    con.close()
    first, _ = _run(tmp_path, monkeypatch, wh=wh)
    second, _ = _run(tmp_path, monkeypatch, wh=wh)
    for result in (first, second):
        critical = _evaluations(result)[("raw/crm__accounts", CRITICAL_CHECK)]
        assert not critical.passed
        assert "account_name" in critical.description
    assert _raw_accounts_results(wh, second.run_id) > 0
