"""Suites as code: coverage of the contract, value lists read from the seeds (not typed in
Python), and a validation run on a small warehouse that finds a critical and a warning
failure and records them in dq.check_results."""

from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.quality.runner import CHECK_RESULT_COLUMNS, run_suites
from dagster_project.quality.suites import (
    CRITICAL,
    MART_TABLES,
    WARNING,
    all_suites,
    mart_suites,
    raw_suites,
)
from dagster_project.sources import ENTITIES
from tests.quality_support import build_warehouse, seed_key_lists


def test_every_raw_table_and_mart_has_a_suite_with_severities() -> None:
    suites = all_suites()
    names = {s.name for s in suites}
    assert {f"raw.{e.table}" for e in ENTITIES} <= names
    assert {f"marts.{t}" for t in MART_TABLES} <= names
    for s in suites:
        assert s.expectations, s.name
        for e in s.expectations:
            assert e.meta["severity"] in (CRITICAL, WARNING)
            assert e.severity.value == e.meta["severity"]
            assert e.meta["why"], (s.name, e.expectation_type)
        assert s.count(CRITICAL) > 0, s.name
    raw = sum(s.count() for s in raw_suites())
    marts = sum(s.count() for s in mart_suites())
    print(f"expectations: raw {raw}, marts {marts}")


def test_raw_suites_follow_the_contract() -> None:
    by_name = {s.name: s for s in raw_suites()}
    tickets = by_name["raw.support__tickets"]
    kinds = {(e.expectation_type, e.meta.get("check")) for e in tickets.expectations}
    assert ("unexpected_rows_expectation", "referential_integrity_organization_id") in kinds
    assert any(
        e.expectation_type == "expect_column_values_to_match_regex"
        and e.configuration.kwargs["column"] == "requester_email"
        for e in tickets.expectations
    )
    nps = by_name["raw.nps__responses"]
    score = [
        e
        for e in nps.expectations
        if e.expectation_type == "expect_column_values_to_be_between"
        and e.configuration.kwargs["column"] == "score"
    ]
    assert score and score[0].configuration.kwargs["max_value"] == 10
    usage = {e.meta.get("check") for e in by_name["raw.usage__daily"].expectations}
    assert {"volume_change", "referential_integrity_account_id"} <= usage
    assert "usage_freshness" not in usage  # freshness.py owns every source's cadence
    contacts = {e.meta.get("check") for e in by_name["raw.crm__contacts"].expectations}
    assert "referential_integrity_account_id" in contacts
    # people's inputs come in bursts: no usual volume to compare with
    for table in ("cta_actions__outcomes", "cs_inputs__overrides", "cs_inputs__pulse"):
        assert "volume_change" not in {
            e.meta.get("check") for e in by_name[f"raw.{table}"].expectations
        }


def test_validation_finds_critical_and_warning_failures_and_records_them(tmp_path: Path) -> None:
    wh = build_warehouse(tmp_path / "wh.duckdb", health_score=130.0, tier_ja="???")
    by_name = {s.name: s for s in all_suites()}
    chosen = [
        by_name[n]
        for n in (
            "raw.crm__accounts",
            "raw.crm__contacts",
            "raw.usage__daily",
            "marts.dim_accounts",
            "marts.fct_account_health",
            "marts.mart_kpi_monthly",  # not built here: skipped with a note
        )
    ]
    outcomes = run_suites(wh, chosen, "run-test-1")
    by = {o.suite.name: o for o in outcomes}

    health = by["marts.fct_account_health"]
    critical = [(r.expectation, r.column_name) for r in health.critical_failures]
    assert critical == [("expect_column_values_to_be_between", "health_score")]
    assert health.critical_failures[0].unexpected_count == 1
    assert "130" in health.critical_failures[0].observed_value
    assert [(r.expectation, r.column_name) for r in health.warnings] == [
        ("unexpected_rows:health_tier_ja_of_seed", "health_tier_ja")
    ]
    for name in (
        "raw.crm__accounts",
        "raw.crm__contacts",
        "raw.usage__daily",
        "marts.dim_accounts",
    ):
        assert not by[name].failed(), (name, [r.label() for r in by[name].failed()])
    skipped = by["marts.mart_kpi_monthly"]
    assert skipped.skipped and "does not exist" in skipped.skipped

    con = duckdb.connect(str(wh), read_only=True)
    try:
        columns = [
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'dq' "
                "and table_name = 'check_results' order by ordinal_position"
            ).fetchall()
        ]
        rows = con.execute(
            "select run_id, suite, severity, success, count(*) from dq.check_results "
            "group by all order by all"
        ).fetchall()
        total = con.execute("select count(*) from dq.check_results").fetchone()[0]
    finally:
        con.close()
    assert tuple(columns) == CHECK_RESULT_COLUMNS
    assert total == sum(len(o.results) for o in outcomes)
    assert ("run-test-1", "marts.fct_account_health", "critical", False, 1) in rows
    assert ("run-test-1", "marts.fct_account_health", "warning", False, 1) in rows
    assert ("run-test-1", "marts.mart_kpi_monthly", "warning", False, 1) in rows


def test_no_mart_suite_types_a_value_list_that_a_seed_holds() -> None:
    # a typed list copies a seed when it holds two or more of that seed's keys; one word two
    # lists share by chance (a CTA and a health override can both be 'expired') is no copy
    for s in mart_suites():
        for e in s.expectations:
            listed = {str(v) for v in (e.configuration.kwargs.get("value_set") or [])}
            copied = {seed: listed & keys for seed, keys in seed_key_lists().items()}
            copied = {seed: values for seed, values in copied.items() if len(values) > 1}
            assert not copied, (s.name, e.configuration.kwargs.get("column"), copied)
    # ... and the seed-backed rules read the seeds schema of the warehouse instead
    health = {e.meta.get("check"): e for e in _suite("marts.fct_account_health").expectations}
    assert (
        "seeds.segments"
        in health["segment_in_seed_segments"].configuration.kwargs["unexpected_rows_query"]
    )


def _suite(name: str):
    return next(s for s in mart_suites() if s.name == name)


def _critical_failures(wh: Path, suite: str) -> list[tuple[str, str | None, int | None]]:
    (outcome,) = run_suites(wh, [_suite(suite)], "run-seed", write=False)
    return [(r.expectation, r.column_name, r.unexpected_count) for r in outcome.critical_failures]


def test_a_segment_added_to_the_seed_passes_and_a_value_outside_it_fails(tmp_path: Path) -> None:
    wh = build_warehouse(tmp_path / "wh.duckdb")
    con = duckdb.connect(str(wh))
    con.execute("update marts.dim_accounts set segment = 'strategic' where account_id = 'A3'")
    con.close()
    # not a segment of the seed: a critical failure naming the column
    assert _critical_failures(wh, "marts.dim_accounts") == [
        ("unexpected_rows:segment_in_seed_segments", "segment", 1)
    ]
    # CS Ops add the row to the seed (dbt writes it to seeds.segments): accepted at once
    con = duckdb.connect(str(wh))
    con.execute(
        "update seeds.segments set max_employees = 1999 where segment = 'high_touch';"
        "insert into seeds.segments (segment, min_employees, sort_order)"
        " values ('strategic', 2000, 4)"
    )
    con.close()
    assert _critical_failures(wh, "marts.dim_accounts") == []


def test_seed_rules_fail_when_the_warehouse_has_no_seeds(tmp_path: Path) -> None:
    # A missing seeds schema is an error of the rule, never a silent pass.
    wh = build_warehouse(tmp_path / "wh.duckdb")
    con = duckdb.connect(str(wh))
    con.execute("drop table seeds.lifecycle_stages")
    con.close()
    failures = _critical_failures(wh, "marts.dim_accounts")
    assert [(e, c) for e, c, _ in failures] == [
        ("unexpected_rows:lifecycle_stage_in_seed_lifecycle_stages", "lifecycle_stage")
    ]
