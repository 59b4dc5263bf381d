"""Which engine builds the dbt project: DuckDB (default) or Apache Spark (issue 18).

The same Dagster job runs either way; the run tag ``cswh/engine`` picks it (`cswh run --engine`,
or the tag set in the Dagster launchpad); without the tag, ``CSWH_ENGINE``, else duckdb.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

ENGINE_TAG = "cswh/engine"
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
SPARK_DEPS_HINT = "install with make spark-deps"


class EngineError(ValueError):
    """An engine that does not exist, or one that is not installed here."""


def check_engine(value: str, origin: str) -> str:
    engine = value.strip().lower()
    if engine not in ENGINES:
        raise EngineError(
            f"{origin}: unknown engine {value!r}; expected one of {', '.join(ENGINES)}"
        )
    return engine


def default_engine() -> str:
    """CSWH_ENGINE, else duckdb."""
    value = os.environ.get("CSWH_ENGINE")
    return check_engine(value, "CSWH_ENGINE") if value else DEFAULT_ENGINE


def engine_of(tags: Mapping[str, str]) -> str:
    """The engine a run builds with: its ``cswh/engine`` tag, else the default."""
    value = tags.get(ENGINE_TAG)
    return check_engine(value, f"run tag {ENGINE_TAG}") if value else default_engine()


def spark_missing() -> str | None:
    """Why Spark cannot run here (pyspark, dbt-spark or Java missing), or None."""
    missing = [
        name
        for name, module in (("pyspark", "pyspark"), ("dbt-spark", "dbt.adapters.spark"))
        if _find(module) is None
    ]
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (java_home and (Path(java_home) / "bin/java").exists()):
        missing.append("java")
    if not missing:
        return None
    return f"the Spark engine needs {', '.join(missing)}, which is not installed: {SPARK_DEPS_HINT}"


def _find(module: str):
    try:
        return importlib.util.find_spec(module)
    except ModuleNotFoundError:
        return None
