"""One definition of contract events (issue 14): marts.fct_account_events feeds the health
calibration and the CTA backtest, and int_calibration_outcomes no longer reads contracts or
contract changes itself. Read from dbt's manifest (`make dbt-manifest` / `cswh prepare`)."""

from __future__ import annotations

import json

import pytest

from dagster_project.transform.project import dbt_project, manifest_is_stale

EVENTS = "model.cswh.fct_account_events"
OUTCOMES = "model.cswh.int_calibration_outcomes"
CONSUMERS = ("model.cswh.mart_health_calibration", "model.cswh.mart_cta_effectiveness")
# what int_calibration_outcomes read before the events existed: it must not read them again
CONTRACT_MODELS = ("model.cswh.int_contracts", "model.cswh.stg_crm__contract_changes")


@pytest.fixture(scope="module")
def parents() -> dict[str, list[str]]:
    assert not manifest_is_stale(), "dbt manifest is stale: run `make dbt-manifest`"
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return manifest["parent_map"]


def _ancestors(node: str, parents: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [node]
    while todo:
        for parent in parents.get(todo.pop(), []):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_calibration_and_backtest_read_their_outcomes_from_the_account_events(
    parents: dict[str, list[str]],
) -> None:
    assert EVENTS in parents[OUTCOMES]
    for consumer in CONSUMERS:
        assert OUTCOMES in parents[consumer], consumer
        assert EVENTS in _ancestors(consumer, parents), consumer


def test_calibration_outcomes_no_longer_read_contracts_or_their_changes(
    parents: dict[str, list[str]],
) -> None:
    direct = set(parents[OUTCOMES])
    assert not direct & set(CONTRACT_MODELS), sorted(direct)
    # ... they reach it only through the events (int_contracts is upstream of the events)
    assert set(CONTRACT_MODELS) <= set(parents[EVENTS])


def test_the_account_events_do_not_depend_on_what_they_feed(
    parents: dict[str, list[str]],
) -> None:
    upstream = _ancestors(EVENTS, parents)
    assert not upstream & {OUTCOMES, *CONSUMERS, "model.cswh.fct_account_health"}
