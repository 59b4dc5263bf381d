"""`cswh whatif`: compare the health and CTA outcome of changed seed values with today's, on a
scratch copy of the warehouse (CONTRACT section 2). ``changes`` parses and checks the changes;
``build`` makes both sides and writes the comparison to ``$CSWH_WHATIF_DIR/latest.duckdb``."""

from dagster_project.whatif.build import BuildError, Outcome, compare, result_path, whatif_dir
from dagster_project.whatif.changes import Change, ChangeError, SeedSet

__all__ = [
    "BuildError",
    "Change",
    "ChangeError",
    "Outcome",
    "SeedSet",
    "compare",
    "result_path",
    "whatif_dir",
]
