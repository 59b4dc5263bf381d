"""docs/cookbook.md: every example query runs against the demo serving copy and answers.

The cookbook is what a new analyst copies from; a query that no longer runs (a renamed
column, a dropped table) or answers nothing on the demo fails here, naming the question."""

from __future__ import annotations

import re

import duckdb
import pytest

from dagster_project.config import PROJECT_ROOT

COOKBOOK = PROJECT_ROOT / "docs" / "cookbook.md"


def cookbook_queries() -> list[tuple[str, str]]:
    """(question heading, SQL) for every ```sql block, in order."""
    queries, heading = [], None
    for part in re.split(r"^(## .*)$", COOKBOOK.read_text(encoding="utf-8"), flags=re.M):
        if part.startswith("## "):
            heading = part[3:].strip()
            continue
        for sql in re.findall(r"```sql\n(.*?)```", part, flags=re.S):
            queries.append((heading, sql))
    return queries


QUERIES = cookbook_queries()


def test_the_cookbook_answers_the_twelve_questions():
    questions = {heading.split(".")[0] for heading, _ in QUERIES}
    assert questions == {str(n) for n in range(1, 13)}, sorted(questions)


@pytest.mark.parametrize(
    "question, sql", QUERIES, ids=[f"q{h.split('.')[0]}-{i}" for i, (h, _) in enumerate(QUERIES)]
)
def test_cookbook_query_returns_rows(demo_published, question, sql):
    con = duckdb.connect(str(demo_published.serving), read_only=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    assert rows, f"cookbook question {question!r} returned no rows on the demo serving copy"
    # a row of nothing but nulls is no answer either
    assert any(value is not None for row in rows for value in row), question
