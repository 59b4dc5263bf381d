"""One owner per rule (README, "Data quality"). dbt tests guard the models' logic: keys,
not-nulls, relationships, invariants across models. Great Expectations is the contract gate:
the raw inputs, and the value lists and ranges of the marts' contract columns. So no mart
column is checked by both; no dbt test types a value list that a seed or sources.py holds;
and a mart suite compares with no other mart (that is an invariant across models)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from dagster_project import sources
from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.quality.suites import mart_suites
from tests.quality_support import seed_keys

DOMAIN_TESTS = {"accepted_values", "accepted_range"}


def _dbt_column_tests() -> Iterator[tuple[str, str | None, str, dict]]:
    """(model or seed, column or None, test name, arguments) of every property file."""
    for path in [
        *(DBT_PROJECT_DIR / "models").rglob("*.yml"),
        *(DBT_PROJECT_DIR / "seeds").glob("*.yml"),
    ]:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for node in [*doc.get("models", []), *doc.get("seeds", [])]:
            entries = [(None, t) for t in node.get("data_tests", [])]
            for col in node.get("columns", []):
                entries += [(col["name"], t) for t in col.get("data_tests", [])]
            for column, test in entries:
                name, body = (test, {}) if isinstance(test, str) else next(iter(test.items()))
                yield node["name"], column, name, (body or {}).get("arguments", body or {})


def _gx_domain_columns() -> set[tuple[str, str]]:
    """(mart, column) of every mart-suite rule about one column."""
    out = set()
    for s in mart_suites():
        for e in s.expectations:
            column = e.configuration.kwargs.get("column") or e.meta.get("column")
            if column and "," not in column:
                out.add((s.table, column))
    return out


def test_no_mart_column_is_checked_by_dbt_and_by_gx() -> None:
    gx = _gx_domain_columns()
    assert ("fct_account_health", "health_score") in gx and ("dim_accounts", "segment") in gx
    both = sorted(
        (model, column, name)
        for model, column, name, _ in _dbt_column_tests()
        if (model, column) in gx and (name in DOMAIN_TESTS or name == "relationships")
    )
    assert both == [], "checked twice: keep one owner (GX for contract columns' domains)"


def test_no_dbt_model_test_types_a_list_a_seed_or_the_landing_zone_holds() -> None:
    landing_zone = {v for e in sources.ENTITIES for c in e.all_columns for v in (c.enum or ())}
    held = seed_keys() | landing_zone
    typed = [
        (model, column, sorted(set(map(str, args["values"])) & held))
        for model, column, name, args in _dbt_column_tests()
        if name == "accepted_values"
        and not (DBT_PROJECT_DIR / "seeds" / f"{model}.csv").exists()
        and set(map(str, args["values"])) & held
    ]
    assert typed == [], "use relationships to the seed (or leave raw's enums to GX)"


def test_mart_suites_hold_no_invariant_across_models() -> None:
    for s in mart_suites():
        for e in s.expectations:
            query = e.configuration.kwargs.get("unexpected_rows_query") or ""
            assert not re.search(r"\bmarts\.", query), (s.name, e.meta.get("check"))
