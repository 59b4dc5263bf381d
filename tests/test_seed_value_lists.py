"""End to end through `cswh run`: the seeds are the only home of the value lists the checks
use. CS Ops add a segment (a row in segments.csv, its playbooks and its labels, on a copy of the dbt
project, as CSWH_DBT_PROJECT_DIR lets a reviewed change run): the run publishes, with the
new segment in the marts and every critical check passing. A segment that is in no seed
still fails a critical check and stops the publish (injected into a mart after dbt built
it, as tests/test_quality_gate.py does)."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import pytest

from dagster_project.config import DBT_PROJECT_DIR
from tests.quality_support import zone_with_sql_injector
from tests.support import cswh_env, query, run_cswh

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

NEW = "mid_market"  # 250-999 employees, split off pooled (50-249)


def _project_with_a_new_segment(root: Path) -> Path:
    project = root / "dbt_new_segment"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    seeds = project / "seeds"
    segments = (seeds / "segments.csv").read_text(encoding="utf-8")
    old = "pooled,50,999,"
    assert old in segments
    segments = segments.replace(old, "pooled,50,249,")
    segments += f"{NEW},250,999,group support (mid-market team),4\n"
    (seeds / "segments.csv").write_text(segments, encoding="utf-8")
    # its labels, in the one home of labels
    with (seeds / "code_labels.csv").open("a", encoding="utf-8") as f:
        f.write(f"segment,{NEW},ミッドマーケット,Mid market,4\n")
    # its playbooks: the pooled ones, under the new segment
    text = (seeds / "playbooks.csv").read_text(encoding="utf-8")
    pooled = [r for r in csv.DictReader(io.StringIO(text)) if r["segment"] == "pooled"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(pooled[0]), lineterminator="\n")
    for r in pooled:
        writer.writerow({**r, "playbook_id": f"{r['cta_type']}__{NEW}", "segment": NEW})
    (seeds / "playbooks.csv").write_text(text + out.getvalue(), encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def new_segment(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path):
    root = tmp_path_factory.mktemp("new-segment")
    inject = zone_with_sql_injector(root, tiny_zone)
    env = {**cswh_env(root), "CSWH_DBT_PROJECT_DIR": str(_project_with_a_new_segment(root))}
    result = run_cswh("run", env=env)
    return root, env, inject, result


def test_a_segment_added_to_the_seed_publishes(new_segment) -> None:
    root, _env, _inject, result = new_segment
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    serving = root / "warehouse" / "serving.duckdb"
    counts = dict(query(serving, "select segment, count(*) from marts.dim_accounts group by 1"))
    assert counts.get(NEW, 0) > 0 and counts.get("pooled", 0) > 0, counts
    for table in ("marts.fct_account_health", "marts.mart_kpi_monthly", "marts.mart_arr_movements"):
        assert query(serving, f"select count(*) from {table} where segment = ?", [NEW])[0][0]
    (run_id,) = query(serving, "select run_id from dq.publish_log")[0]
    failed = query(
        serving,
        "select table_name, expectation from dq.check_results"
        " where run_id = ? and severity = 'critical' and not success",
        [run_id],
    )
    assert failed == []
    segment_rules = query(
        serving,
        "select table_name, success from dq.check_results where run_id = ?"
        " and expectation = 'unexpected_rows:segment_in_seed_segments' order by 1",
        [run_id],
    )
    assert [t for t, _ in segment_rules] == [
        "marts.dim_accounts",
        "marts.dim_contracts",
        "marts.fct_account_events",
        "marts.fct_account_health",
        "marts.fct_account_timeline",
        "marts.fct_cta_candidates",
        "marts.mart_arr_movements",
        "marts.mart_kpi_monthly",
    ]
    assert all(ok for _, ok in segment_rules)


def test_a_segment_in_no_seed_still_blocks_the_publish(new_segment) -> None:
    root, env, inject, first = new_segment
    assert first.returncode == 0
    serving = root / "warehouse" / "serving.duckdb"
    before = hashlib.sha256(serving.read_bytes()).hexdigest()
    result = run_cswh(
        "run",
        env={
            **env,
            "PYTHONPATH": str(inject),
            "CSWH_TEST_INJECT_SQL": "update marts.dim_accounts set segment = 'enterprise'"
            " where account_id = (select min(account_id) from marts.dim_accounts)",
        },
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "marts/dim_accounts:critical_expectations" in result.stdout, out
    assert hashlib.sha256(serving.read_bytes()).hexdigest() == before
    rows = query(
        root / "warehouse" / "warehouse.duckdb",
        "select column_name, success, unexpected_count from dq.check_results"
        " where table_name = 'marts.dim_accounts'"
        " and expectation = 'unexpected_rows:segment_in_seed_segments'"
        " order by checked_at desc limit 1",
    )
    assert rows == [("segment", False, 1)]
