"""dbt's sources.yml files are generated from sources.py and must not drift from it: the
committed files equal what `cswh dbt-sources` writes, they describe the raw tables the
extractor creates (names and types), and dbt reads the freshness they carry."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.config import DBT_PROJECT_DIR
from dagster_project.extract import ensure_schemas
from dagster_project.sources import CADENCES, ENTITIES, SOURCES
from dagster_project.transform import dbt_sources
from tests.support import cswh_env, run_cswh

DBT = str(Path(sys.executable).parent / "dbt")


def test_committed_files_are_what_cswh_dbt_sources_writes() -> None:
    result = run_cswh("dbt-sources", "--check", env=cswh_env(Path("/nonexistent")))
    assert result.returncode == 0, result.stderr


def test_check_names_the_drift_and_writing_repairs_it(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    for path in dbt_sources.STAGING_DIR.glob("*/_*__sources.yml"):
        (staging / path.parent.name).mkdir(parents=True)
        shutil.copyfile(path, staging / path.parent.name / path.name)
    nps = staging / "nps" / "_nps__sources.yml"
    nps.write_text(nps.read_text().replace("data_type: BIGINT", "data_type: INTEGER", 1))
    (staging / "usage" / "_usage__sources.yml").unlink()
    (staging / "erp").mkdir()
    (staging / "erp" / "_erp__sources.yml").write_text("version: 2\n")
    env = cswh_env(tmp_path)

    checked = run_cswh("dbt-sources", "--check", "--staging-dir", str(staging), env=env)
    assert checked.returncode == 1
    assert "_nps__sources.yml: differs from sources.py" in checked.stderr
    assert "-            data_type: INTEGER" in checked.stderr
    assert "+            data_type: BIGINT" in checked.stderr
    assert "_usage__sources.yml: missing" in checked.stderr
    assert "_erp__sources.yml: a source that sources.py does not have" in checked.stderr
    assert nps.read_text().count("INTEGER") == 1  # --check writes nothing

    written = run_cswh("dbt-sources", "--staging-dir", str(staging), env=env)
    assert written.returncode == 0 and "_nps__sources.yml" in written.stdout
    assert dbt_sources.check(staging) == [
        f"{staging / 'erp' / '_erp__sources.yml'}: a source that sources.py does not have"
    ]


@pytest.mark.parametrize("source", SOURCES)
def test_the_yaml_reads_back_as_built(source: str) -> None:
    parsed = yaml.safe_load(dbt_sources.render(source))
    assert parsed == {"version": 2, "sources": [dbt_sources.definition(source)]}


def test_the_files_describe_the_raw_tables_the_extractor_creates() -> None:
    con = duckdb.connect()
    ensure_schemas(con)
    raw = {}
    for table, column, dtype in con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' order by table_name, ordinal_position"
    ).fetchall():
        raw.setdefault(table, []).append((column, dtype))
    con.close()
    described = {}
    for source in SOURCES:
        doc = yaml.safe_load(dbt_sources.path_of(source).read_text())
        (definition,) = doc["sources"]
        assert definition["name"] == source and definition["schema"] == "raw"
        for table in definition["tables"]:
            key = table["identifier"]
            described[key] = [(c["name"], c["data_type"]) for c in table["columns"]]
            config = table["config"]
            assert config["meta"]["dagster"]["asset_key"] == ["raw", key]  # Dagster lineage
            cadence = CADENCES.get(source)
            if cadence is not None and cadence.table == key:
                assert config["loaded_at_field"] == "_loaded_at"
                assert config["freshness"] == {
                    "warn_after": {"count": cadence.max_age_days, "period": "day"}
                }
            else:
                assert "freshness" not in config
    assert described == raw
    assert set(described) == {e.table for e in ENTITIES}


@pytest.mark.slow
def test_dbt_source_freshness_warns_on_a_stale_load_and_exits_0(tmp_path: Path) -> None:
    env = cswh_env(tmp_path)
    warehouse = Path(env["CSWH_WAREHOUSE"])
    warehouse.parent.mkdir(parents=True)
    now = datetime.now(UTC).replace(tzinfo=None)
    loaded = {c.table: now - timedelta(hours=1) for c in CADENCES.values()}
    loaded["nps__responses"] = now - timedelta(days=CADENCES["nps"].max_age_days + 1)
    con = duckdb.connect(str(warehouse))
    ensure_schemas(con)
    for table, at in loaded.items():
        con.execute(f"insert into raw.{table} (_loaded_at) values (?)", [at])
    con.close()
    target = tmp_path / "target"

    result = subprocess.run(
        [DBT, "source", "freshness", "--profiles-dir", str(DBT_PROJECT_DIR)]
        + ["--target-path", str(target), "--log-path", str(tmp_path / "logs")],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )

    assert result.returncode == 0, result.stdout[-3000:]  # late is a warning, never an error
    results = json.loads((target / "sources.json").read_text())["results"]
    status = {r["unique_id"].split(".", 2)[2]: r["status"] for r in results}
    expected = {f"{c.source}.{c.table.split('__', 1)[1]}": "pass" for c in CADENCES.values()}
    assert status == expected | {"nps.responses": "warn"}
