"""Run the suites against the DuckDB warehouse and record the results.

Validation is pushed down into DuckDB: a GX SQL datasource over duckdb-engine reads the
warehouse file (read-only) and every metric is a SQL aggregate, so no table is pulled into
Python. ``engine="pandas"`` loads the table into a dataframe instead; it is the fallback
for an expectation that pushdown cannot evaluate (it is re-run on the columns it needs)
and the baseline of the speed measurement (``bench_validation``).

DuckDB allows one writer, so the order inside ``run_suites`` is: look up which tables
exist (connection closed), validate (GX's engine disposed afterwards), then append to
``dq.check_results`` (connection closed). Nothing holds the file in between.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.config import duckdb_config
from dagster_project.dq_schema import CHECK_RESULTS_COLUMNS, ensure_dq
from dagster_project.quality.suites import CRITICAL, WARNING, Suite

RESULT_FORMAT = "BASIC"  # counts and a sample of unexpected values; ~40% cheaper than SUMMARY
DATASOURCE = "warehouse"
SAMPLE_ROWS = 5

# dq.check_results' columns, in order (the DDL is dq_schema's).
CHECK_RESULT_COLUMNS = tuple(CHECK_RESULTS_COLUMNS)

_log = logging.getLogger(__name__)


@dataclass
class ExpectationOutcome:
    """One row of dq.check_results."""

    run_id: str
    checked_at: datetime
    suite: str
    table_name: str
    column_name: str | None
    expectation: str
    severity: str
    success: bool
    observed_value: str | None
    unexpected_count: int | None
    why: str = ""
    engine: str = "sql"
    rule: str = ""  # suite-local id of the expectation (meta["rule"])

    def row(self) -> tuple:
        return tuple(getattr(self, c) for c in CHECK_RESULT_COLUMNS)

    def label(self) -> str:
        col = f"({self.column_name})" if self.column_name else ""
        n = f": {self.unexpected_count:,} unexpected" if self.unexpected_count else ""
        return f"{self.table_name} {self.expectation}{col}{n}"


@dataclass
class SuiteOutcome:
    suite: Suite
    results: list[ExpectationOutcome] = field(default_factory=list)
    skipped: str | None = None  # why the suite did not run (the table does not exist yet)
    seconds: float = 0.0

    def failed(self, severity: str | None = None) -> list[ExpectationOutcome]:
        return [
            r
            for r in self.results
            if not r.success and (severity is None or r.severity == severity)
        ]

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return self.failed(CRITICAL)

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return self.failed(WARNING)


# --- GX context ---------------------------------------------------------------------------


def gx_context(docs_dir: Path | None = None, data_docs_sites: dict | None = None):
    """An ephemeral GX context: nothing it holds is written to disk, so any number of
    validations and renders can run at once. With ``docs_dir``, validation results are also
    stored there for Data Docs, each in its own file written atomically (gx_store).
    ``data_docs_sites``: for the Data Docs writer. Progress bars off, analytics off."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    from dagster_project.quality import gx_duckdb_shim
    from dagster_project.quality.gx_store import validation_results_store

    gx_duckdb_shim.apply()
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        data_docs_sites=data_docs_sites or {},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    if docs_dir is not None:
        config.stores[config.validation_results_store_name] = validation_results_store(docs_dir)
    return gx.get_context(project_config=config, mode="ephemeral")


def _datasource(context, warehouse: Path):
    return context.data_sources.add_or_update_sql(
        name=DATASOURCE,
        # The path goes to duckdb.connect as an argument: in the URL, "?" or "%" in a file
        # name would be parsed as URL syntax.
        connection_string="duckdb://",
        kwargs={
            "connect_args": {
                "database": str(warehouse),
                "read_only": True,
                "config": duckdb_config(),
            }
        },
    )


def _gx_suite(context, suite: Suite):
    import great_expectations as gx

    gx_suite = gx.ExpectationSuite(
        name=suite.name,
        expectations=[e.copy(deep=True) for e in suite.expectations],
        meta={"description": suite.description, "table": suite.name},
    )
    for e in gx_suite.expectations:
        e.id = None
    return context.suites.add_or_update(gx_suite)


def register_suites(context, warehouse: Path, suites: Iterable[Suite]) -> None:
    """Store suites and their validation definitions in the context (for Data Docs)."""
    ds = _datasource(context, warehouse)
    for suite in suites:
        _validation_definition(context, ds, suite)


def _validation_definition(context, ds, suite: Suite):
    import great_expectations as gx

    # A query asset: GX's table asset ignores the schema when DuckDB reflects columns.
    try:
        asset = ds.get_asset(suite.name)
    except LookupError:
        asset = ds.add_query_asset(name=suite.name, query=suite.batch_query)
    try:
        batch_definition = asset.get_batch_definition("whole_table")
    except KeyError:
        batch_definition = asset.add_batch_definition_whole_table("whole_table")
    gx_suite = _gx_suite(context, suite)
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite)
    )


# --- running ------------------------------------------------------------------------------


def existing_tables(warehouse: Path) -> set[str]:
    if not warehouse.exists():
        return set()
    con = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config())
    try:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def run_suites(
    warehouse: Path,
    suites: Sequence[Suite],
    run_id: str,
    *,
    gx_dir: Path | None = None,
    engine: str = "sql",
    write: bool = True,
    log=None,
) -> list[SuiteOutcome]:
    """Validate ``suites`` on the warehouse, append the results to ``dq.check_results``
    (``write``), and return them. A suite whose table does not exist is skipped with a
    recorded note (a failed ``expect_table_to_exist`` warning), never silently. ``gx_dir``:
    the docs dir whose Data Docs should show the GX results (see ``gx_context``)."""
    log = log or _log.info
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    tables = existing_tables(warehouse)
    outcomes: list[SuiteOutcome] = []
    present = [s for s in suites if s.name in tables]
    for s in suites:
        if s.name not in tables:
            note = f"table {s.name} does not exist: {s.count()} expectations not evaluated"
            log(f"quality: {note}")
            outcomes.append(
                SuiteOutcome(
                    s,
                    [
                        ExpectationOutcome(
                            run_id,
                            checked_at,
                            s.name,
                            s.name,
                            None,
                            "expect_table_to_exist",
                            WARNING,
                            False,
                            json.dumps({"skipped": note}),
                            None,
                            why="a suite whose table is missing is reported, not silently passed",
                        )
                    ],
                    skipped=note,
                )
            )
    if present:
        if engine == "sql":
            outcomes += _run_sql(warehouse, present, run_id, checked_at, gx_dir, log)
            for outcome in outcomes:
                _pandas_fallback(warehouse, outcome, run_id, checked_at)
        elif engine == "pandas":
            outcomes += _run_pandas(warehouse, present, run_id, checked_at, log)
        else:
            raise ValueError(f"engine must be sql or pandas, not {engine!r}")
    order = {s.name: i for i, s in enumerate(suites)}
    outcomes.sort(key=lambda o: order[o.suite.name])
    if write:
        _add_samples(warehouse, outcomes)
        write_check_results(warehouse, [r for o in outcomes for r in o.results])
    return outcomes


def _run_sql(warehouse, suites, run_id, checked_at, gx_dir, log) -> list[SuiteOutcome]:
    from great_expectations.core.run_identifier import RunIdentifier

    context = gx_context(gx_dir)
    ds = _datasource(context, warehouse)
    outcomes = []
    try:
        for suite in suites:
            t0 = time.perf_counter()
            vd = _validation_definition(context, ds, suite)
            result = vd.run(
                run_id=RunIdentifier(run_name=run_id, run_time=datetime.now(UTC)),
                result_format=_result_format(suite),
            )
            outcome = SuiteOutcome(suite, _outcomes(suite, result.results, run_id, checked_at))
            outcome.seconds = time.perf_counter() - t0
            log(
                f"quality: {suite.name}: {len(outcome.results)} expectations, "
                f"{len(outcome.critical_failures)} critical and {len(outcome.warnings)} warning "
                f"failures ({outcome.seconds:.2f} s)"
            )
            outcomes.append(outcome)
    finally:
        # Release the file: GX keeps a pooled engine per datasource.
        _release(context)
    return outcomes


def _release(context) -> None:
    """Close every DuckDB connection GX opened (the datasource's engine and the execution
    engine's own), so that the file is free for the next writer."""
    import gc

    for source in context.data_sources.all().values():
        engines = [getattr(source, "_engine", None)]
        execution_engine = getattr(source, "_execution_engine", None)
        engines.append(getattr(execution_engine, "engine", None))
        for engine in engines:
            if engine is not None and hasattr(engine, "dispose"):
                engine.dispose()
    gc.collect()


def _errored(r: ExpectationOutcome) -> bool:
    return r.observed_value is not None and r.observed_value.startswith('{"error"')


def _pandas_fallback(warehouse: Path, outcome: SuiteOutcome, run_id, checked_at) -> None:
    """Re-run on a dataframe the column expectations that the SQL path could not evaluate
    (they raised an error rather than finding bad data). SQL rules have no pandas form."""
    rules = {e.meta["rule"]: e for e in outcome.suite.expectations}
    redo = [
        rules[r.rule]
        for r in outcome.results
        if _errored(r) and r.rule in rules and not r.expectation.startswith("unexpected_rows")
    ]
    if not redo:
        return
    s = outcome.suite
    fixed = _run_pandas(
        warehouse, [Suite(s.schema, s.table, s.description, redo)], run_id, checked_at, _log.info
    )
    again = {r.rule: r for r in fixed[0].results if not _errored(r)}
    outcome.results = [again.get(r.rule, r) for r in outcome.results]


def _result_format(suite: Suite, expectations=None) -> str | dict:
    """RESULT_FORMAT, without the sample of unexpected values where an expectation is about
    a column that holds a person's e-mail or name (restricted.py): the sample would carry
    them into dq.check_results and the Data Docs pages."""
    from dagster_project.restricted import personal_column_names

    personal = personal_column_names()
    if any(c in personal for e in expectations or suite.expectations for c in _columns_of(e)):
        return {"result_format": RESULT_FORMAT, "partial_unexpected_count": 0}
    return RESULT_FORMAT


def _columns_of(expectation) -> list[str]:
    kw = expectation.configuration.kwargs
    cols = [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
    return cols + list(kw.get("column_list") or [])


def _run_pandas(warehouse, suites, run_id, checked_at, log) -> list[SuiteOutcome]:
    """The dataframe path: load the needed columns, validate in pandas. SQL rules
    (UnexpectedRowsExpectation) have no pandas form and are skipped here."""
    context = gx_context(None)
    ds = context.data_sources.add_pandas(name="frames")
    outcomes = []
    con = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config())
    try:
        for suite in suites:
            t0 = time.perf_counter()
            expectations = [
                e
                for e in suite.expectations
                if not e.expectation_type.startswith("unexpected_rows")
            ]
            needed = sorted({c for e in expectations for c in _columns_of(e)})
            if any(e.expectation_type == "expect_table_columns_to_match_set" for e in expectations):
                needed = ["*"]
            select = ", ".join("*" if c == "*" else f'"{c}"' for c in needed) or "*"
            frame = con.execute(f"select {select} from ({suite.batch_query})").df()
            asset = ds.add_dataframe_asset(name=suite.name)
            batch = asset.add_batch_definition_whole_dataframe("frame").get_batch(
                batch_parameters={"dataframe": frame}
            )
            results = [
                batch.validate(e.copy(deep=True), result_format=_result_format(suite, [e]))
                for e in expectations
            ]
            part = Suite(suite.schema, suite.table, suite.description, expectations)
            outcome = SuiteOutcome(part, _outcomes(part, results, run_id, checked_at, "pandas"))
            outcome.seconds = time.perf_counter() - t0
            log(f"quality (pandas): {suite.name}: {outcome.seconds:.2f} s")
            outcomes.append(outcome)
            del frame
    finally:
        con.close()
    return outcomes


def _exception_messages(info) -> list[str]:
    """GX reports errors either flat or per metric; collect the messages."""
    if not isinstance(info, dict):
        return []
    entries = [info] if "raised_exception" in info else list(info.values())
    return [
        str(e.get("exception_message") or "exception")
        for e in entries
        if isinstance(e, dict) and e.get("raised_exception")
    ]


def _outcomes(suite: Suite, results, run_id, checked_at, engine="sql") -> list[ExpectationOutcome]:
    out = []
    for r in results:
        cfg = r.expectation_config
        kind = cfg.type
        meta = cfg.meta or {}
        if kind == "unexpected_rows_expectation":
            kind = f"unexpected_rows:{meta.get('check', 'sql')}"
        kw = cfg.kwargs
        cols = [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
        cols += list(kw.get("column_list") or [])
        if not cols and meta.get("column"):  # a SQL rule about a column (Suite.rows)
            cols = [meta["column"]]
        res = r.result or {}
        errors = _exception_messages(r.exception_info)
        if errors:
            observed = json.dumps({"error": "; ".join(errors)[:500]})
            unexpected = None
            success = False
        else:
            success = bool(r.success)
            unexpected = res.get("unexpected_count")
            if kind.startswith("unexpected_rows:"):
                unexpected = res.get("observed_value")
                observed = json.dumps({"unexpected_rows": unexpected})
            elif "observed_value" in res:
                observed = json.dumps(res["observed_value"], default=str)
            else:
                observed = json.dumps(
                    {
                        "element_count": res.get("element_count"),
                        "unexpected_percent": res.get("unexpected_percent"),
                        "partial_unexpected_list": (res.get("partial_unexpected_list") or [])[:10],
                    },
                    default=str,
                    ensure_ascii=False,
                )
        out.append(
            ExpectationOutcome(
                run_id=run_id,
                checked_at=checked_at,
                suite=suite.name,
                table_name=suite.name,
                column_name=", ".join(cols) or None,
                expectation=kind,
                severity=meta.get("severity", CRITICAL),
                success=success,
                observed_value=observed[:2000],
                unexpected_count=int(unexpected) if unexpected is not None else None,
                why=meta.get("why", ""),
                engine=engine,
                rule=meta.get("rule", ""),
            )
        )
    return out


def _add_samples(warehouse: Path, outcomes: list[SuiteOutcome]) -> None:
    """For failed SQL rules, keep a few offending rows in observed_value (for auditors)."""
    todo = []
    for o in outcomes:
        rules = {e.meta["rule"]: e for e in o.suite.expectations}
        todo += [
            (o.suite, rules[r.rule], r)
            for r in o.results
            if r.expectation.startswith("unexpected_rows:") and not r.success and not _errored(r)
        ]
    if not todo:
        return
    from dagster_project.restricted import personal_column_names

    personal = personal_column_names()  # a sample row shows no person's e-mail or name
    con = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config())
    try:
        for suite, e, r in todo:
            query = e.unexpected_rows_query.replace("{batch}", f"({suite.batch_query})")
            try:
                cur = con.execute(f"select * from ({query}) limit {SAMPLE_ROWS}")
                names = [d[0] for d in cur.description]
                sample = [
                    {n: v for n, v in zip(names, row, strict=True) if n not in personal}
                    for row in cur.fetchall()
                ]
            except duckdb.Error as exc:  # keep the count; the sample is a courtesy
                sample = [{"sample_error": str(exc)[:200]}]
            r.observed_value = json.dumps(
                {"unexpected_rows": r.unexpected_count, "sample": sample},
                default=str,
                ensure_ascii=False,
            )[:2000]
    finally:
        con.close()


def write_check_results(warehouse: Path, results: Sequence[ExpectationOutcome]) -> int:
    """Append rows to dq.check_results (created if missing). Returns rows written."""
    if not results:
        return 0
    con = duckdb.connect(str(warehouse), config=duckdb_config())
    try:
        ensure_dq(con)
        con.executemany(
            f"insert into dq.check_results ({', '.join(CHECK_RESULT_COLUMNS)}) "
            f"values ({', '.join('?' for _ in CHECK_RESULT_COLUMNS)})",
            [r.row() for r in results],
        )
    finally:
        con.close()
    return len(results)


@dataclass(frozen=True)
class CleanValidation:
    """The last validation of a raw table, when every expectation of it passed."""

    run_id: str
    checked_at: datetime
    expectations: int


def unchanged_since_clean_validation(
    warehouse: Path, suites: Sequence[Suite], run_id: str
) -> dict[str, CleanValidation]:
    """Raw suites that need no new validation: this run loaded no rows into their table nor
    into any table their rules read (`Suite.reads`), and the table's last recorded validation
    passed every expectation. A table whose last
    validation failed anything is validated again, so a failure cannot be outrun by a run with
    nothing new. Marts are rebuilt every run and never qualify."""
    raw = [s for s in suites if s.schema == "raw"]
    tables = existing_tables(warehouse)
    if not raw or "dq.check_results" not in tables:
        return {}
    con = duckdb.connect(str(warehouse), read_only=True, config=duckdb_config())
    try:
        changed = {
            t
            for t in {t for s in raw for t in (s.name, *s.reads)}
            if t in tables
            and con.execute(
                f"select count(*) from (select 1 from {t} where _run_id = ? limit 1)", [run_id]
            ).fetchone()[0]
        }
        clean: dict[str, CleanValidation] = {}
        for s in raw:
            if s.name not in tables or changed & {s.name, *s.reads}:
                continue
            last = con.execute(
                "select run_id, max(checked_at), count(*), bool_and(success) "
                "from dq.check_results where table_name = ? "
                "group by run_id order by max(checked_at) desc limit 1",
                [s.name],
            ).fetchone()
            if last and last[3]:
                clean[s.name] = CleanValidation(last[0], last[1], last[2])
    finally:
        con.close()
    return clean
