"""The suites as Dagster asset checks (dagster-ge does not work with GX 1.x).

Every validated table gets two checks:

* ``critical_expectations`` -- ``blocking=True``; fails with severity ERROR when a critical
  expectation fails, so nothing downstream of the table runs: no dbt build after a broken
  raw table, no publish (``serving/publish`` depends on the marts) after a broken mart.
* ``warning_expectations`` -- non-blocking; fails with severity WARN. The run publishes.

One ``multi_asset_check`` per source system (after its extraction) and one for the marts
(after ``dbt build``): each opens the warehouse, validates by SQL pushdown, appends to
``dq.check_results`` with the Dagster run id (the ``run_id`` of ``dq.load_manifest``), and
closes it. The job runs steps one after another in one process, so nothing else holds the
DuckDB file meanwhile.
"""

from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg

from dagster_project.as_of import resolve_as_of
from dagster_project.config import Settings
from dagster_project.quality.runner import (
    CleanValidation,
    SuiteOutcome,
    run_suites,
    unchanged_since_clean_validation,
)
from dagster_project.quality.suites import Suite, mart_suites, raw_suite, raw_suites
from dagster_project.resources import Warehouse
from dagster_project.sources import SOURCES, entity

CRITICAL_CHECK = "critical_expectations"
WARNING_CHECK = "warning_expectations"
MAX_LISTED = 20  # failed expectations listed in a check's metadata


def _specs(suites: Iterable[Suite]) -> list[dg.AssetCheckSpec]:
    specs = []
    for s in suites:
        key = dg.AssetKey(s.asset_key_path)
        specs.append(
            dg.AssetCheckSpec(
                CRITICAL_CHECK,
                asset=key,
                blocking=True,
                description=f"{s.count('critical')} critical Great Expectations rules of suite "
                f"{s.name}: a failure stops everything downstream (publishing).",
                metadata={"suite": s.name, "severity": "critical"},
            )
        )
        specs.append(
            dg.AssetCheckSpec(
                WARNING_CHECK,
                asset=key,
                blocking=False,
                description=f"{s.count('warning')} warning-level rules of suite {s.name}: "
                "reported, publishing continues.",
                metadata={"suite": s.name, "severity": "warning"},
            )
        )
    return specs


def _failures_md(outcome: SuiteOutcome, severity: str) -> str:
    failed = outcome.failed(severity)
    lines = ["| expectation | column | unexpected | observed |", "|---|---|---|---|"]
    for r in failed[:MAX_LISTED]:
        observed = (r.observed_value or "").replace("|", "\\|")[:160]
        lines.append(
            f"| {r.expectation} | {r.column_name or ''} | "
            f"{'' if r.unexpected_count is None else f'{r.unexpected_count:,}'} | {observed} |"
        )
    if len(failed) > MAX_LISTED:
        lines.append(f"| ... {len(failed) - MAX_LISTED} more in dq.check_results | | | |")
    return "\n".join(lines)


def check_results(outcome: SuiteOutcome) -> Iterator[dg.AssetCheckResult]:
    """The two check results of one suite's outcome."""
    key = dg.AssetKey(outcome.suite.asset_key_path)
    common = {
        "suite": outcome.suite.name,
        "seconds": round(outcome.seconds, 3),
        "expectations_evaluated": len(outcome.results) if not outcome.skipped else 0,
    }
    for name, severity, dg_severity in (
        (CRITICAL_CHECK, "critical", dg.AssetCheckSeverity.ERROR),
        (WARNING_CHECK, "warning", dg.AssetCheckSeverity.WARN),
    ):
        if outcome.skipped:
            # Reported (warning check fails, result row written), never silently passed.
            passed = severity == "critical"
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=name,
                passed=passed,
                severity=dg_severity if not passed else dg.AssetCheckSeverity.WARN,
                description=f"not evaluated: {outcome.skipped}",
                metadata={**common, "skipped": outcome.skipped},
            )
            continue
        failed = outcome.failed(severity)
        total = sum(r.severity == severity for r in outcome.results)
        metadata = {
            **common,
            "severity": severity,
            "evaluated": total,
            "failed": len(failed),
            "failed_expectations": dg.MetadataValue.md(_failures_md(outcome, severity)),
        }
        description = (
            f"{len(failed)} of {total} {severity} expectations failed: "
            + "; ".join(r.label() for r in failed[:5])
            if failed
            else f"all {total} {severity} expectations passed"
        )
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=name,
            passed=not failed,
            severity=dg_severity,
            description=description,
            metadata=metadata,
        )


def unchanged_results(suite: Suite, last: CleanValidation) -> Iterator[dg.AssetCheckResult]:
    """The two check results of a raw table this run did not change and whose last validation
    passed completely: passed, saying so (no new rows in dq.check_results)."""
    description = (
        f"not re-validated: this run loaded no rows into {suite.name}; its last validation "
        f"(run {last.run_id}, {last.checked_at:%Y-%m-%d %H:%M} UTC) passed all "
        f"{last.expectations} expectations"
    )
    for name, dg_severity in (
        (CRITICAL_CHECK, dg.AssetCheckSeverity.ERROR),
        (WARNING_CHECK, dg.AssetCheckSeverity.WARN),
    ):
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(suite.asset_key_path),
            check_name=name,
            passed=True,
            severity=dg_severity,
            description=description,
            metadata={"suite": suite.name, "unchanged_since_run": last.run_id},
        )


def _multi_check(name: str, suites: list[Suite], description: str) -> dg.AssetChecksDefinition:
    by_key = {dg.AssetKey(s.asset_key_path): s for s in suites}

    @dg.multi_asset_check(
        name=name,
        specs=_specs(suites),
        can_subset=True,
        description=description,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: Warehouse
    ) -> Iterator[dg.AssetCheckResult]:
        selected = context.selected_asset_check_keys
        keys = {k.asset_key for k in selected}
        path = Path(warehouse.path)
        as_of = resolve_as_of(path)
        # Raw suites are rebuilt for this run (the freshness rule needs the as-of date); mart
        # suites do not depend on it.
        todo = [
            raw_suite(entity(s.table), as_of) if s.schema == "raw" else s
            for k, s in by_key.items()
            if k in keys
        ]
        clean = unchanged_since_clean_validation(path, todo, context.run.run_id)
        for suite_name in clean:
            context.log.info(f"quality: {suite_name}: nothing new loaded; not re-validated")
        outcomes = run_suites(
            path,
            [s for s in todo if s.name not in clean],
            context.run.run_id,
            gx_dir=Settings.from_env().docs_dir,
            log=context.log.info,
        )
        results = [r for s in todo if s.name in clean for r in unchanged_results(s, clean[s.name])]
        results += [r for outcome in outcomes for r in check_results(outcome)]
        for result in results:
            if dg.AssetCheckKey(result.asset_key, result.check_name) in selected:
                yield result

    return _check


def build_quality_checks(
    asset_keys: Iterable[dg.AssetKey] | None = None,
) -> list[dg.AssetChecksDefinition]:
    """Asset checks for every raw table and every contract mart.

    ``asset_keys``: the keys defined in the code location; tables without an asset (a mart
    not built yet) get no check, since Dagster rejects checks on unknown assets. ``None``
    = every suite."""
    known = set(asset_keys) if asset_keys is not None else None

    def _keep(s: Suite) -> bool:
        return known is None or dg.AssetKey(s.asset_key_path) in known

    checks: list[dg.AssetChecksDefinition] = []
    raw = [s for s in raw_suites() if _keep(s)]
    for source in SOURCES:
        suites = [s for s in raw if s.table.startswith(f"{source}__")]
        if suites:
            checks.append(
                _multi_check(
                    f"quality_raw_{source}",
                    suites,
                    f"Great Expectations suites of the raw {source} tables (SQL pushdown).",
                )
            )
    marts = [s for s in mart_suites() if _keep(s)]
    if marts:
        checks.append(
            _multi_check(
                "quality_marts",
                marts,
                "Great Expectations suites of the contract's marts (SQL pushdown); critical "
                "failures block the publish asset.",
            )
        )
    return checks


def failed_checks(events: Iterable, severity: str | None = None) -> list[str]:
    """Failed asset checks in a run's events, for `cswh run`'s summary, e.g.
    ``marts/fct_account_health:critical_expectations (ERROR): 1 of 12 critical ...``.
    ``severity``: "ERROR" or "WARN" to keep only those."""
    out = []
    for event in events:
        if getattr(event, "event_type_value", None) != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.passed:
            continue
        key = "/".join(evaluation.asset_key.path)
        level = getattr(evaluation.severity, "value", str(evaluation.severity))
        if severity is not None and level != severity:
            continue
        text = getattr(evaluation, "description", None) or ""
        out.append(f"{key}:{evaluation.check_name} ({level}){': ' + text if text else ''}")
    return out
