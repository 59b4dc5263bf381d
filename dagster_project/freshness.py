"""Freshness: is every source system delivering on time?

Each source system delivers on a known cadence (``CADENCES``, in ``sources.py`` beside the
rest of the landing-zone contract). A source is *late* when the
newest event it has delivered -- its *watermark*, read from the data itself, e.g. the latest
``responded_at`` of ``raw.nps__responses`` -- is older than ``max_age_days`` before the
reference date.

The reference date is the landing zone's own clock, not the wall clock: the as-of date D
(``dagster_project.as_of``: ``CSWH_AS_OF``, else the latest usage ``activity_date``), or the
newest watermark of any source if that is later. A replayed or synthetic zone is thus judged by its own time (the
demo data ends months before today), and a feed that stops while the others continue --
usage included, which otherwise defines D -- shows as late. In daily production D is
yesterday, so this is the usual "no delivery for N days" rule.

Dagster: one non-blocking ``@asset_check`` named ``freshness`` per source, on the raw table
that carries its watermark (``build_freshness_checks``). A late source fails with severity
WARN -- it is reported, publishing continues (stale data is still the best data there is).
Every evaluation is also appended to ``dq.check_results`` (suite ``freshness``, severity
``warning``) through the quality package's writer, so the dashboard's data-quality page
shows it next to the Great Expectations results.

To change a cadence, edit ``CADENCES`` in sources.py (CS Ops review it like a seed) and run
``cswh dbt-sources``: the same cadences are dbt's source freshness (``warn_after`` on
``loaded_at_field: _loaded_at``), which asks another question on another clock: has the
pipeline loaded a delivery of the source within N days of *now* (wall clock, UTC)? It sees
every feed stopping at once, or the pipeline not running (D stops with the data, so this
check finds nothing late); this check sees a feed whose data lags behind D, which dbt's does
not (a replayed zone loaded today is "fresh" to dbt). ``dbt source freshness`` only warns, and
``dbt build`` never runs it.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.resources import Warehouse
from dagster_project.sources import CADENCES, Cadence

SUITE = "freshness"
SEVERITY = "warning"  # a late source is reported; it does not stop publishing
EXPECTATION = "source_delivered_within_cadence"
CHECK_NAME = "freshness"


def _describe(c: Cadence) -> str:
    return (
        f"{c.source} delivers {c.delivery}: late when its newest "
        f"{c.table}.{c.column} is more than {c.max_age_days} days before the "
        "reference date (the as-of date D, or the newest delivery of any source)."
    )


@dataclass(frozen=True)
class Freshness:
    cadence: Cadence
    latest: date | None  # watermark; None = the source has delivered nothing yet
    reference: date | None  # None = no data anywhere (nothing to judge by)

    @property
    def age_days(self) -> int | None:
        if self.latest is None or self.reference is None:
            return None
        return (self.reference - self.latest).days

    @property
    def passed(self) -> bool:
        if self.reference is None:
            return True  # an empty warehouse: nothing is late yet
        age = self.age_days
        return age is not None and age <= self.cadence.max_age_days

    @property
    def message(self) -> str:
        c = self.cadence
        if self.reference is None:
            return f"{c.source}: no data in the warehouse yet; freshness not judged"
        if self.latest is None:
            return (
                f"{c.source} is LATE: nothing delivered yet (expected {c.delivery}, "
                f"reference date {self.reference})"
            )
        state = "on time" if self.passed else "LATE"
        return (
            f"{c.source} is {state}: newest {c.column} {self.latest} is {self.age_days} days "
            f"before {self.reference} (allowed {c.max_age_days}, {c.delivery})"
        )

    def observed_value(self) -> str:
        return json.dumps(
            {
                "source": self.cadence.source,
                "latest": self.latest.isoformat() if self.latest else None,
                "reference_date": self.reference.isoformat() if self.reference else None,
                "age_days": self.age_days,
                "max_age_days": self.cadence.max_age_days,
            }
        )


def _as_date(value) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def watermarks(con: duckdb.DuckDBPyConnection) -> dict[str, date | None]:
    """The newest event of every source with a cadence (None: table missing or empty)."""
    tables = {
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'"
        ).fetchall()
    }
    out: dict[str, date | None] = {}
    for source, c in CADENCES.items():
        if c.table not in tables:
            out[source] = None
            continue
        (value,) = con.execute(f'select max("{c.column}") from raw."{c.table}"').fetchone()
        out[source] = _as_date(value)
    return out


def evaluate(
    marks: dict[str, date | None], as_of: date | None, sources: Sequence[str] | None = None
) -> list[Freshness]:
    """Judge ``sources`` (default: all with a cadence) against the reference date."""
    known = [d for d in marks.values() if d is not None]
    candidates = [d for d in (as_of, max(known, default=None)) if d is not None]
    reference = max(candidates, default=None)
    return [
        Freshness(CADENCES[s], marks.get(s), reference)
        for s in (sources if sources is not None else list(CADENCES))
    ]


def check_freshness(
    warehouse: Path, run_id: str, sources: Sequence[str] | None = None, as_of: date | None = None
) -> list[Freshness]:
    """Evaluate and append one row per source to ``dq.check_results`` (suite freshness).
    ``as_of`` defaults to D as the pipeline resolves it (CSWH_AS_OF or latest usage day)."""
    from dagster_project.as_of import resolve_as_of
    from dagster_project.quality.runner import ExpectationOutcome, write_check_results

    if as_of is None:
        as_of = resolve_as_of(warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        marks = watermarks(con)
    finally:
        con.close()
    results = evaluate(marks, as_of, sources)
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    write_check_results(
        warehouse,
        [
            ExpectationOutcome(
                run_id=run_id,
                checked_at=checked_at,
                suite=SUITE,
                table_name=f"raw.{r.cadence.table}",
                column_name=r.cadence.column,
                expectation=EXPECTATION,
                severity=SEVERITY,
                success=r.passed,
                observed_value=r.observed_value(),
                unexpected_count=None,
            )
            for r in results
        ],
    )
    return results


def build_freshness_checks() -> list[dg.AssetChecksDefinition]:
    """One non-blocking Dagster asset check ``freshness`` per source with a cadence, on the
    raw table that carries the source's watermark. Add to ``Definitions(asset_checks=...)``."""

    def _build(c: Cadence) -> dg.AssetChecksDefinition:
        @dg.asset_check(
            asset=dg.AssetKey(["raw", c.table]),
            name=CHECK_NAME,
            description=_describe(c),
            blocking=False,
            metadata={"source": c.source, "max_age_days": c.max_age_days},
        )
        def _freshness(
            context: dg.AssetCheckExecutionContext, warehouse: Warehouse
        ) -> dg.AssetCheckResult:
            (result,) = check_freshness(Path(warehouse.path), context.run.run_id, [c.source])
            (context.log.info if result.passed else context.log.warning)(result.message)
            return dg.AssetCheckResult(
                passed=result.passed,
                severity=dg.AssetCheckSeverity.WARN,
                description=result.message,
                metadata={
                    "source": c.source,
                    "latest": str(result.latest) if result.latest else "",
                    "reference_date": str(result.reference) if result.reference else "",
                    "age_days": result.age_days if result.age_days is not None else -1,
                    "max_age_days": c.max_age_days,
                },
            )

        return _freshness

    return [_build(c) for c in CADENCES.values()]
