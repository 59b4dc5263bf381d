"""Issue 18: a generated 300-account zone gives the same marts on Spark as on DuckDB.

A year of data (seed 11), D resolved by the pipeline from the usage as in production. Each
mart is compared row by row on its key (tests/engine_equality.py).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.engine_runs import (
    CHECKED_MARTS,
    EngineBuilds,
    assert_mart_equal,
    assert_other_marts_equal,
    build_both,
)

# Two whole pipeline runs (one of them on Spark) happen in the first test's setup.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

ZONE = {"accounts": 300, "seed": 11, "start": date(2025, 11, 1), "end": date(2026, 10, 31)}


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> EngineBuilds:
    from dagster_project.synthetic import generate

    zone = tmp_path_factory.mktemp("zone-300") / "raw"
    generate(zone, **ZONE)
    return build_both(tmp_path_factory, zone)


@pytest.mark.parametrize("mart", CHECKED_MARTS)
def test_mart_is_the_same_on_spark(builds: EngineBuilds, mart: str) -> None:
    assert_mart_equal(builds, mart)


def test_every_other_mart_is_the_same_on_spark(builds: EngineBuilds) -> None:
    assert_other_marts_equal(builds)
