"""The code location (dagster_project/definitions.py) only assembles: importing it changes no
environment variable, and its resources resolve the defaults and relative paths themselves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dagster_project.config import PROJECT_ROOT

# Run in a fresh interpreter: the test process has long imported the module.
_PROBE = """
import json, os
before = dict(os.environ)
from dagster_project import definitions
changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
resources = definitions.defs.resources
print(json.dumps({
    "changed": changed,
    "warehouse": resources["warehouse"].path,
    "landing_zone": resources["landing_zone"].path,
    "serving": resources["serving"].path,
    "app_store_db": resources["app_store_db"].path,
    "dbt_executable": resources["dbt"].dbt_executable,
}))
"""


def _probe(**env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CSWH_", "DAGSTER_", "GX_", "DBT_")) and k != "PATH"
    }
    clean["PATH"] = "/usr/bin:/bin"  # the venv's bin folder is not on it
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=clean,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_leaves_the_environment_alone_and_resolves_defaults() -> None:
    found = _probe(CSWH_SERVING="elsewhere/serving.duckdb")
    assert found["changed"] == []
    data = PROJECT_ROOT / "data"
    assert found["warehouse"] == str(data / "warehouse" / "warehouse.duckdb")
    assert found["landing_zone"] == str(data / "raw")
    assert found["app_store_db"] == str(data / "app" / "cswh_app.sqlite")
    # A relative path means the repository root, whichever folder Dagster runs in.
    assert found["serving"] == str(PROJECT_ROOT / "elsewhere" / "serving.duckdb")
    # dbt is this environment's, though its bin folder is not on PATH.
    assert Path(found["dbt_executable"]) == Path(sys.executable).parent / "dbt"
