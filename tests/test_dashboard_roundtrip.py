"""An outcome recorded in the app changes the CTA's status on the next pipeline run.

The app store ($CSWH_APP_DB) is ingested as the `cta_actions` source (CONTRACT section 6), so
after `cswh run --select cta_actions` the CTA is `done` and counts as won.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from dagster_project import app_store
from tests.dashboard_support import published_serving, query, skip_unless_published
from tests.support import cswh_env, run_cswh

pytestmark = pytest.mark.slow


def test_outcome_recorded_in_the_app_updates_status_on_the_next_run(
    tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path
) -> None:
    serving = published_serving(tmp_path_factory, tiny_zone)
    skip_unless_published(serving, "ctas")
    first = serving.parent.parent
    if not (first / "warehouse" / "warehouse.duckdb").exists():
        pytest.skip("needs a warehouse from a real `cswh run`")
    root = tmp_path_factory.mktemp("roundtrip")  # a private copy: other tests keep theirs
    shutil.copytree(first / "raw", root / "raw")
    shutil.copytree(first / "warehouse", root / "warehouse")
    env = cswh_env(root)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    (cta_id, won_before) = query(
        serving,
        "select c.cta_id, e.won from marts.fct_cta_candidates c"
        " join marts.mart_cta_effectiveness e using (cta_type)"
        " where c.status = 'open' order by c.cta_id limit 1",
    )[0]
    app_store.record_outcome(cta_id, "won", "roundtrip-test", "受注", path=env["CSWH_APP_DB"])

    result = run_cswh("run", "--select", "cta_actions", env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    after = Path(env["CSWH_SERVING"])
    (status,) = query(
        after, "select status from marts.fct_cta_candidates where cta_id = ?", [cta_id]
    )[0]
    assert status == "done"
    (won_after,) = query(
        after,
        "select e.won from marts.mart_cta_effectiveness e join marts.fct_cta_candidates c"
        " using (cta_type) where c.cta_id = ?",
        [cta_id],
    )[0]
    assert won_after == won_before + 1
