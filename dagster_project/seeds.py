"""The dbt seeds (``dbt/seeds/*.csv`` of the project in use) read from Python.

Seeds are the only home of the value lists and thresholds CS Ops edit (and
``dbt_project.yml``'s vars of the few numbers that are not per row, ``project_var``). The pipeline and
the pages read them where dbt wrote them (schema ``seeds`` of the warehouse and of the
serving copy); this is for the few places that run without a warehouse: the demo
generator's summary and the pages' hand-made development copy.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class SeedSchema:
    """What a seed's yml (dbt/seeds/_*.yml) declares about it: column types (config
    column_types), its key (the column with a ``unique`` test, else the columns of its
    ``unique_combination`` test), and the value rules of its data tests that can be
    checked on the rows alone (not_null, accepted_values, relationships to another seed)."""

    name: str
    column_types: dict[str, str]
    key: tuple[str, ...]
    not_null: frozenset[str] = frozenset()
    accepted_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    relationships: dict[str, tuple[str, str]] = field(default_factory=dict)  # col -> (seed, col)


def _tests(entries) -> list[tuple[str, dict]]:
    """(test name, its arguments) of a yml ``data_tests`` list."""
    out = []
    for entry in entries or []:
        if isinstance(entry, str):
            out.append((entry, {}))
        else:
            for name, body in entry.items():
                body = body or {}
                out.append((name, body.get("arguments", body)))
    return out


def seed_schemas(project_dir: Path | None = None) -> dict[str, SeedSchema]:
    """Every seed of the project with a yml entry, by name."""
    import yaml

    from dagster_project.config import DBT_PROJECT_DIR

    found: dict[str, SeedSchema] = {}
    for yml in sorted(((project_dir or DBT_PROJECT_DIR) / "seeds").glob("*.yml")):
        for seed in (yaml.safe_load(yml.read_text(encoding="utf-8")) or {}).get("seeds", []):
            types = {
                c.lower(): str(t).lower()
                for c, t in seed.get("config", {}).get("column_types", {}).items()
            }
            key: tuple[str, ...] = ()
            not_null: set[str] = set()
            accepted: dict[str, tuple[str, ...]] = {}
            related: dict[str, tuple[str, str]] = {}
            for column in seed.get("columns", []):
                name = column["name"].lower()
                for test, args in _tests(column.get("data_tests")):
                    if test == "unique" and not key:
                        key = (name,)
                    elif test == "not_null":
                        not_null.add(name)
                    elif test == "accepted_values":
                        accepted[name] = tuple(str(v) for v in args["values"])
                    elif test == "relationships":
                        match = re.fullmatch(r"ref\('(\w+)'\)", str(args["to"]).strip())
                        if match:
                            related[name] = (match.group(1), args["field"].lower())
            for test, args in _tests(seed.get("data_tests")):
                if test == "unique_combination" and not key:
                    key = tuple(c.lower() for c in args["columns"])
                elif test == "not_null_columns":
                    not_null.update(c.lower() for c in args["columns"])
            found[seed["name"]] = SeedSchema(
                seed["name"], types, key, frozenset(not_null), accepted, related
            )
    return found
