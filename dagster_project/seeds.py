"""The dbt seeds (``dbt/seeds/*.csv`` of the project in use) read from Python.

Seeds are the only home of the value lists and thresholds CS Ops edit (and
``dbt_project.yml``'s vars of the few numbers that are not per row, ``project_var``). The pipeline and
the pages read them where dbt wrote them (schema ``seeds`` of the warehouse and of the
serving copy); this is for the few places that run without a warehouse: the demo
generator's summary and the pages' hand-made development copy.
"""

from __future__ import annotations

import csv
from pathlib import Path


def seed_path(name: str, project_dir: Path | None = None) -> Path:
    from dagster_project.config import DBT_PROJECT_DIR  # honours CSWH_DBT_PROJECT_DIR

    return (project_dir or DBT_PROJECT_DIR) / "seeds" / f"{name}.csv"


def read_seed(name: str, project_dir: Path | None = None) -> list[dict[str, str | None]]:
    """The seed's rows as dicts of text, in file order; an empty cell is None."""
    with seed_path(name, project_dir).open(encoding="utf-8", newline="") as f:
        return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(f)]


def project_var(name: str, project_dir: Path | None = None):
    """A var of the dbt project in use (``dbt_project.yml``), for the Python side of a rule
    whose number lives there (e.g. the form that checks an override's expiry)."""
    import yaml

    from dagster_project.config import DBT_PROJECT_DIR

    text = ((project_dir or DBT_PROJECT_DIR) / "dbt_project.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["vars"][name]


def segment_of(employee_count: int, segments: list[dict[str, str | None]]) -> str | None:
    """The segment of seed ``segments`` whose min_employees..max_employees (null max: no
    upper bound) holds ``employee_count``, as dbt's int_accounts assigns it."""
    for row in segments:
        low, high = row["min_employees"], row["max_employees"]
        if int(low or 0) <= employee_count and (high is None or employee_count <= int(high)):
            return row["segment"]
    return None
