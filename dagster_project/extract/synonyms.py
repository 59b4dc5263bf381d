"""Reviewed synonyms of the landing zone's enum values (seed ``code_synonyms``).

Japanese CRM and help-desk exports write ``緊急`` for the priority ``urgent`` or ``解決済み``
for the status ``solved``. Seed ``dbt/seeds/code_synonyms.csv`` lists each such spelling per
``code_kind`` (the kind ``sources.Column.code_kind`` names) with the contract's code; the
validator maps a value through it before checking the allowed values, so the row loads. A
value that is neither a code nor a listed synonym is still quarantined. Matching ignores
surrounding spaces and letter case. Read from the CSV (extraction runs before dbt builds
the seeds), re-read when the file changes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dagster_project.seeds import read_seed, seed_path

SEED = "code_synonyms"


def normalise(value: str) -> str:
    """How a value is compared with a synonym (SQL: ``lower(trim(value))``)."""
    return value.strip().lower()


@lru_cache(maxsize=4)
def _read(path: str, mtime_ns: int) -> dict[str, dict[str, str]]:
    del mtime_ns  # part of the cache key only
    out: dict[str, dict[str, str]] = {}
    for row in read_seed(SEED, Path(path).parents[1]):
        kind, synonym, code = row["code_kind"], row["synonym"], row["code"]
        if kind and synonym and code:
            out.setdefault(kind, {})[normalise(synonym)] = code
    return out


def synonyms(code_kind: str | None) -> dict[str, str]:
    """normalised synonym -> code for one code_kind (empty for None or an unknown kind, and
    when the project has no code_synonyms seed)."""
    if not code_kind:
        return {}
    path = seed_path(SEED)
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return {}
    return _read(str(path), mtime).get(code_kind, {})
