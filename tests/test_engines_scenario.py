"""Issue 18: the hand-made scenario zone gives the same marts on Spark as on DuckDB.

The zone is tests/scenario_zone.py's (with the CTA outcomes of tests/test_scenarios.py), D =
2026-06-30. Each mart is compared row by row on its key (tests/engine_equality.py). The
module also holds the Spark half of the portability gate and a check that the comparison
finds a difference when there is one.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest

from dagster_project.config import DBT_PROJECT_DIR
from tests import scenario_zone as z
from tests.engine_equality import compare_serving
from tests.engine_runs import (
    CHECKED_MARTS,
    EngineBuilds,
    assert_mart_equal,
    assert_other_marts_equal,
    build_both,
    spark_portability_gate,
)
from tests.test_scenarios import OUTCOMES

# Two whole pipeline runs (one of them on Spark) happen in the first test's setup.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> EngineBuilds:
    zone = tmp_path_factory.mktemp("scenario-zone") / "raw"
    z.write_zone(zone, outcomes=OUTCOMES)
    return build_both(tmp_path_factory, zone, "--as-of", z.D.isoformat())


@pytest.mark.parametrize("mart", CHECKED_MARTS)
def test_mart_is_the_same_on_spark(builds: EngineBuilds, mart: str) -> None:
    assert_mart_equal(builds, mart)


def test_every_other_mart_is_the_same_on_spark(builds: EngineBuilds) -> None:
    assert_other_marts_equal(builds)


def test_the_comparison_sees_a_changed_value_and_a_missing_row(
    builds: EngineBuilds, tmp_path
) -> None:
    """The same comparison on a copy of the Spark build with one score moved by 1e-6 and one
    CTA deleted: both are reported (so an equal result above means equal)."""
    changed = tmp_path / "changed.duckdb"
    shutil.copyfile(builds.serving("spark"), changed)
    con = duckdb.connect(str(changed))
    con.execute(
        "update marts.fct_account_health set health_score = health_score + 1e-6 "
        "where account_id = 'ACC-THRIVE' and snapshot_date = ?",
        [z.D],
    )
    con.execute(
        "delete from marts.fct_cta_candidates "
        "where cta_id = (select min(cta_id) from marts.fct_cta_candidates)"
    )
    con.close()
    found = compare_serving(
        builds.serving("duckdb"), changed, DBT_PROJECT_DIR / "target" / "manifest.json"
    )
    assert "differ in health_score" in str(found["fct_account_health"])
    assert "rows on DuckDB" in str(found["fct_cta_candidates"])
    assert found["dim_accounts"] is None


def test_every_model_compiled_for_spark_parses_as_spark_and_uses_no_duckdb_only_sql(
    builds: EngineBuilds,
) -> None:
    done = spark_portability_gate(builds.roots["spark"])
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "all parse, none blocks Spark" in done.stdout
