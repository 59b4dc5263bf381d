"""Where things live. Every path comes from the environment (CONTRACT.md section 2).

Relative defaults resolve against the repository root so that dbt, Dagster and Streamlit,
which run with different working directories, all see the same absolute paths.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The dbt project; CSWH_DBT_PROJECT_DIR points a run at a copy (e.g. with changed seeds).
DBT_PROJECT_DIR = Path(os.environ.get("CSWH_DBT_PROJECT_DIR") or PROJECT_ROOT / "dbt").resolve()

# Customer data tools should not phone home, and there is no internet here. Set by `cswh` for
# itself and its dbt subprocesses; anything starting dbt on its own adds them too.
NO_TELEMETRY = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "DAGSTER_DISABLE_TELEMETRY": "true",
}

_DEFAULTS = {
    "CSWH_DATA_DIR": "data/raw",
    "CSWH_WAREHOUSE": "data/warehouse/warehouse.duckdb",
    "CSWH_SERVING": "data/warehouse/serving.duckdb",
    # What needs a person (contacts' names and e-mails, unredacted dq text): mode 0600,
    # read by the pipeline and the dashboard's process only (SECURITY.md).
    "CSWH_RESTRICTED": "data/restricted/restricted.duckdb",
    # The person-key salt's file (privacy.py) when CSWH_PERSON_KEY_SALT is not set.
    "CSWH_SECRETS_DIR": "data/secrets",
    "CSWH_APP_DB": "data/app/cswh_app.sqlite",
    "CSWH_DOCS_DIR": "data/docs",
    "DAGSTER_HOME": "data/dagster_home",
}


# DuckDB's memory limit for every connection that writes the warehouse (extraction, dbt,
# checks, publish). DuckDB spills above it; 5 GB keeps a 10,000-account run under 8 GB of
# resident memory at no measured cost in speed (bench/). dbt/profiles.yml repeats the default.
DUCKDB_MEMORY_DEFAULT = "5GB"


def duckdb_memory_limit() -> str:
    return os.environ.get("CSWH_DUCKDB_MEMORY") or DUCKDB_MEMORY_DEFAULT


def duckdb_config() -> dict[str, str | bool]:
    """Settings of every pipeline connection to the warehouse (dbt's are in profiles.yml)."""
    return {"memory_limit": duckdb_memory_limit(), "preserve_insertion_order": False}


def _path(var: str) -> Path:
    value = os.environ.get(var) or _DEFAULTS[var]
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path)


def lake_path() -> Path:
    """$CSWH_LAKE, else `lake` beside the landing zone (data/lake for the default data/raw)."""
    if os.environ.get("CSWH_LAKE"):
        return _path("CSWH_LAKE")
    return _path("CSWH_DATA_DIR").parent / "lake"


def spark_dir() -> Path:
    """$CSWH_SPARK_DIR, else `<warehouse>.spark` (as dbt/profiles.yml's spark target says)."""
    if os.environ.get("CSWH_SPARK_DIR"):
        return _path("CSWH_SPARK_DIR")
    warehouse = _path("CSWH_WAREHOUSE")
    return warehouse.with_name(warehouse.name + ".spark")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    warehouse: Path
    serving: Path
    restricted: Path
    app_db: Path
    docs_dir: Path
    dagster_home: Path
    as_of: str | None  # YYYY-MM-DD, or None = latest usage activity_date
    # The lake (dagster_project/lake.py): the raw layer as Parquet, read by both engines.
    # Default: `lake` beside the landing zone (data/lake for data/raw), never inside it.
    lake: Path = Path()
    # Spark's tables, Derby metastore and scratch; the profile's default is the same.
    spark_dir: Path = Path()

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            data_dir=_path("CSWH_DATA_DIR"),
            warehouse=_path("CSWH_WAREHOUSE"),
            serving=_path("CSWH_SERVING"),
            restricted=_path("CSWH_RESTRICTED"),
            app_db=_path("CSWH_APP_DB"),
            docs_dir=_path("CSWH_DOCS_DIR"),
            dagster_home=_path("DAGSTER_HOME"),
            as_of=os.environ.get("CSWH_AS_OF") or None,
            lake=lake_path(),
            spark_dir=spark_dir(),
        )

    def export(self) -> None:
        """Write the resolved absolute paths back to the environment (for dbt and children)."""
        os.environ.update(
            CSWH_DATA_DIR=str(self.data_dir),
            CSWH_WAREHOUSE=str(self.warehouse),
            CSWH_SERVING=str(self.serving),
            CSWH_RESTRICTED=str(self.restricted),
            CSWH_APP_DB=str(self.app_db),
            CSWH_DOCS_DIR=str(self.docs_dir),
            DAGSTER_HOME=str(self.dagster_home),
            CSWH_LAKE=str(self.lake),
            CSWH_SPARK_DIR=str(self.spark_dir),
        )
        if self.as_of:
            os.environ["CSWH_AS_OF"] = self.as_of
        from dagster_project.privacy import export_salt

        export_salt()  # for dbt's profile, as a secret variable (privacy.py)
        # dagster-dbt runs the `dbt` executable found on PATH: make it this environment's,
        # also when `.venv/bin/cswh` is called without activating the venv.
        bin_dir = str(Path(sys.executable).parent)
        if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
            os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def executable(name: str) -> str:
    """A command of this Python environment (its bin folder: dbt, mf, dagster), also when
    that folder is not on PATH (`.venv/bin/cswh` run without activating the venv); else the
    one on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)
