"""Shared fixtures: a tiny generated landing zone, made once per session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

TINY = {"accounts": 40, "seed": 7, "start": date(2025, 11, 1), "end": date(2026, 10, 31)}


@pytest.fixture(scope="session")
def tiny_zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated landing zone, made once per test session (read-only for tests)."""
    from dagster_project.synthetic import generate

    out = tmp_path_factory.mktemp("tiny") / "raw"
    generate(out, **TINY)
    return out
