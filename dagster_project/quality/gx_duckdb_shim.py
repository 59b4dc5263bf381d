"""Compatibility shim: Great Expectations 1.x SQL pushdown on DuckDB (duckdb-engine).

Two gaps in GX 1.24 stop its SQL datasource from working on DuckDB; both are patched here,
in one place, so that the rest of the project uses GX as documented.

1. ``SqlAlchemyExecutionEngine.execute_query`` runs the query inside ``with
   engine.connect()`` and returns the *unconsumed* cursor after the block has closed the
   connection. Closing a SQLAlchemy connection rolls back its transaction, and with
   duckdb-engine that discards the pending result set, so every metric fails with
   ``MetricResolutionError: list index out of range``. The shim buffers row-returning results
   (``Result.freeze()``) while the connection is still open; the caller gets an in-memory
   result with the same ``fetchall`` / ``fetchone`` / ``fetchmany`` / ``scalar`` API.
2. GX has no regex mapping for the ``duckdb`` dialect ("Regex is not supported for dialect
   duckdb"). DuckDB's function is ``regexp_matches(string, pattern)`` (a partial match, like
   the ``~`` operator GX uses for PostgreSQL). The shim maps it for every GX module that
   imported ``get_dialect_regex_expression``.

``apply()`` is idempotent and must be called before a validation runs; ``is_applied()`` says
whether it is in place. Nothing else in GX is changed: other dialects take the original
code paths.

3. Exit. Python does not free every object when it exits: with GX loaded (numpy, pandas and
   scipy extension modules), SQLAlchemy's classes outlive the interpreter's final clean-up.
   duckdb-engine registers its compiler for ``TRY_CAST`` on SQLAlchemy's ``TryCast`` class;
   through that function's module globals the class keeps duckdb-engine's namespace alive,
   whose annotations name ``duckdb.DuckDBPyConnection``: the type, its methods and their
   default values (DuckDB type and enum objects) are still alive when nanobind, which binds
   DuckDB 2.0, checks at the very end, and it prints a wall of "nanobind: leaked instance
   ... _duckdb..." lines. (Disposing engines does not help: importing GX and duckdb-engine is
   enough.) ``apply()`` registers ``release_duckdb_engine`` to run at exit; it takes that one
   registration off ``TryCast``, so nothing that outlives the interpreter refers to DuckDB.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
from typing import Any

_MARK = "_cswh_duckdb_shim"

# GX modules that bind ``get_dialect_regex_expression`` by name at import time.
_REGEX_MODULES = (
    "great_expectations.expectations.metrics.util",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_match_regex_list",
    "great_expectations.expectations.metrics.column_map_metrics.column_values_not_match_regex_list",
    "great_expectations.expectations.metrics.column_aggregate_metrics.column_values_match_regex_values",
    "great_expectations.expectations.metrics.column_aggregate_metrics.column_values_not_match_regex_values",
)


def _dialect_name(dialect: Any) -> str | None:
    """GX passes the dialect as a module, a class or an instance depending on the caller."""
    for candidate in (dialect, getattr(dialect, "dialect", None)):
        name = getattr(candidate, "name", None)
        if isinstance(name, str):
            return name
    return None


def _buffered_execute_query(self, query):
    """``execute_query`` that materialises rows before the connection is released."""
    with self.get_connection() as connection:
        result = self._execute_query_with_recovery(connection, query)
        if getattr(result, "returns_rows", False):
            # FrozenResult() -> an IteratorResult over the buffered rows.
            return result.freeze()()
        return result


def _wrap_regex(original):
    import sqlalchemy as sa

    def get_dialect_regex_expression(column, regex, dialect, positive: bool = True):
        if _dialect_name(dialect) == "duckdb":
            expr = sa.func.regexp_matches(column, sa.literal(regex))
            return expr if positive else sa.not_(expr)
        return original(column, regex, dialect, positive)

    get_dialect_regex_expression.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(get_dialect_regex_expression, _MARK, True)
    return get_dialect_regex_expression


def is_applied() -> bool:
    from great_expectations.execution_engine import sqlalchemy_execution_engine as ee

    return bool(getattr(ee.SqlAlchemyExecutionEngine.execute_query, _MARK, False))


def apply() -> None:
    """Patch GX for DuckDB once per process (later calls do nothing)."""
    if is_applied():
        return
    from great_expectations.execution_engine import sqlalchemy_execution_engine as ee

    original_execute = ee.SqlAlchemyExecutionEngine.execute_query
    _buffered_execute_query.__wrapped__ = original_execute  # type: ignore[attr-defined]
    _buffered_execute_query.__doc__ = (original_execute.__doc__ or "") + (
        "\n(cswh: rows are buffered before the connection closes; see gx_duckdb_shim.)"
    )
    setattr(_buffered_execute_query, _MARK, True)

    util = importlib.import_module(_REGEX_MODULES[0])
    original_regex = util.get_dialect_regex_expression
    if getattr(original_regex, _MARK, False):  # pragma: no cover - half-applied earlier
        original_regex = original_regex.__wrapped__
    patched_regex = _wrap_regex(original_regex)
    for name in _REGEX_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "get_dialect_regex_expression"):
            module.get_dialect_regex_expression = patched_regex
    atexit.register(release_duckdb_engine)
    # Last, so that is_applied() is true only when everything above succeeded.
    ee.SqlAlchemyExecutionEngine.execute_query = _buffered_execute_query


def release_duckdb_engine() -> None:
    """At exit: take duckdb-engine's ``TRY_CAST`` compiler off SQLAlchemy's ``TryCast``
    class (item 3 above), the reference that keeps DuckDB's objects alive past nanobind's
    leak check. SQL using ``TRY_CAST`` on the duckdb dialect does not compile after it."""
    import sqlalchemy

    # `_compiler_dispatcher` is where sqlalchemy.ext.compiler.compiles() keeps the table.
    with contextlib.suppress(AttributeError):
        sqlalchemy.TryCast._compiler_dispatcher.specs.pop("duckdb", None)


def revert() -> None:
    """Undo ``apply()`` (for the shim's own test, which shows the failure without it)."""
    if not is_applied():
        return
    from great_expectations.execution_engine import sqlalchemy_execution_engine as ee

    ee.SqlAlchemyExecutionEngine.execute_query = (
        ee.SqlAlchemyExecutionEngine.execute_query.__wrapped__
    )
    for name in _REGEX_MODULES:
        module = importlib.import_module(name)
        fn = getattr(module, "get_dialect_regex_expression", None)
        if fn is not None and getattr(fn, _MARK, False):
            module.get_dialect_regex_expression = fn.__wrapped__
