"""Data-quality suites as code (CONTRACT.md section 8).

One Great Expectations suite per table: every raw input (derived from ``sources.py``, the
landing-zone contract as data) and every mart of the contract (section 3). Each
expectation carries a severity:

* ``critical`` -- the data is wrong in a way that must not reach analysts: publishing stops.
* ``warning``  -- worth a look; reported in Dagster, ``dq.check_results`` and Data Docs.

The severity is GX's own ``severity`` field and is repeated in ``meta`` (with ``why``, the
reason an auditor reads next to the rule). Thresholds that are judgement calls live in
the constants right below, not inside the rules.

No value list is typed here. A mart column whose values a seed lists (segments, tiers,
dimensions, CTA types, lifecycle and adoption stages) is checked against the warehouse's
``seeds`` schema -- the configuration the build used -- so a row CS Ops add to a seed is
accepted at once; enums the contract fixes without a seed come from ``mart_enums.py``, the
landing zone's from ``sources.py``.

What GX owns and what dbt owns (README, "Data quality"): GX is the contract gate -- the
raw inputs, and the domains of the marts' contract columns (value lists, ranges, in-row
consistency) with their severities. Keys, not-nulls the models guarantee, relationships
between models and invariants across models (contributions summing to the score, weights
summing to one, a KPI row per month and segment) are dbt tests; they are not repeated here.

Checks that compare a table with another table (referential integrity, volume against
the previous delivery, unmatched e-mails, values of a seed) are ``UnexpectedRowsExpectation``
SQL queries: they list the offending rows, and pass when there are none. ``{batch}`` is the
table under test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from dagster_project.mart_enums import (
    ACCOUNT_EVENT_TYPES,
    CTA_DIRECTIONS,
    CTA_PRIORITIES,
    CTA_STATUSES,
)
from dagster_project.sources import CADENCES, ENTITIES, OVERRIDE_DAYS_MAX, Entity
from dagster_project.sql_text import literal

CRITICAL, WARNING = "critical", "warning"

# --- thresholds (judgement calls, reviewed with CS Ops) --------------------------------
# Volume: the rows of the latest delivery of an entity lie within the range of the
# VOLUME_HISTORY deliveries before it (a week of daily files, so weekends compare with
# weekends), widened by VOLUME_FACTOR each way.
VOLUME_FACTOR = 3.0
VOLUME_HISTORY = 7
VOLUME_MIN_ROWS = 20  # deliveries smaller than this on both sides are not compared
# Share of records whose e-mail matches no CRM contact (and that carry no account_id).
# Leads are mostly prospects, so a high share is normal there.
MAX_UNMATCHED_EMAIL_SHARE: dict[str, float] = {
    "marketing__leads": 0.95,
    "marketing__engagements": 0.5,
    "seminars__registrations": 0.6,
    "nps__responses": 0.3,
}
# Usage freshness is not a rule here: freshness.py owns every source's delivery cadence
# (usage: 2 days) and reports it in dq.check_results beside these suites.

EMAIL_REGEX = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
# The schema dbt writes the seeds to: the configuration in force for the build validated.
SEEDS_SCHEMA = "seeds"
# mart_kpi_monthly's and mart_arr_movements' segment beside those of the seed (CONTRACT section 3).
ALL_SEGMENTS = "all"


@dataclass
class Suite:
    """The expectations of one table. ``name`` is also the GX suite name."""

    schema: str
    table: str
    description: str
    expectations: list = field(default_factory=list)
    # Other raw tables its rules read, so a result can change without new rows in the table.
    reads: set[str] = field(default_factory=set)
    # A health history mart (dbt strategy history_batch): each build rewrites a batch of
    # rows and leaves the rest as validated before; validate the latest build's rows.
    latest_build_only: bool = False

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def batch_query(self) -> str:
        """The rows a validation reads. Raw tables are append-only and grow with every
        delivery: their suites validate the rows of the table's latest load (the rows this
        run added; the previous load when this run added none), so a daily run does not
        re-read years of usage. The health history marts validate the rows their latest
        build wrote (all of them on a full build, e.g. --full-refresh or changed seeds); the
        other marts are rebuilt every run and are validated whole."""
        table = f'"{self.schema}"."{self.table}"'
        if self.schema == "raw":
            return (
                f"select * from {table} where _run_id = "
                f"(select max_by(_run_id, _loaded_at) from {table})"
            )
        if self.latest_build_only:
            return f"select * from {table} where _built_at = (select max(_built_at) from {table})"
        return f"select * from {table}"

    @property
    def layer(self) -> str:
        return self.schema

    @property
    def asset_key_path(self) -> list[str]:
        """Dagster asset key of the table: ``raw/<table>`` or ``marts/<model>``."""
        return [self.schema, self.table]

    def add(self, severity: str, expectation, why: str = ""):
        """Attach a GX expectation with its severity (GX ``severity`` and ``meta``)."""
        from great_expectations.expectations.metadata_types import FailureSeverity

        expectation.severity = FailureSeverity(severity)
        expectation.meta = {
            **(expectation.meta or {}),
            "severity": severity,
            "why": why,
            "rule": f"{self.name}#{len(self.expectations) + 1}",
        }
        # Rendered under the expectation in Data Docs, so auditors see the severity there.
        expectation.notes = f"Severity: {severity}." + (
            f" {why[0].upper()}{why[1:]}." if why else ""
        )
        self.expectations.append(expectation)
        return expectation

    def critical(self, expectation, why: str = ""):
        return self.add(CRITICAL, expectation, why)

    def warning(self, expectation, why: str = ""):
        return self.add(WARNING, expectation, why)

    def rows(self, severity: str, check: str, query: str, why: str, column: str = "") -> None:
        """A SQL rule: ``query`` returns the offending rows (``{batch}`` = this table).
        ``column``: the column(s) it is about, for dq.check_results.column_name."""
        import great_expectations.expectations as gxe

        e = gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=query, description=f"[{severity}] {why}"
        )
        self.add(severity, e, why)
        e.meta["check"] = check
        if column:
            e.meta["column"] = column

    def count(self, severity: str | None = None) -> int:
        return sum(severity is None or e.meta["severity"] == severity for e in self.expectations)


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join(literal(v) for v in values)


def _unique(s: Suite, severity: str, cols: list[str], why: str) -> None:
    """Uniqueness as SQL: first group the rows by a 64-bit hash of the key (a small hash
    table), then group exactly only the rows whose hash repeats (collisions cannot cause a
    false failure). On 87M usage rows this takes about half the time of grouping by the
    key columns, and a small fraction of GX's compound-uniqueness metric."""
    listed = ", ".join(cols)
    not_null = " and ".join(f"{c} is not null" for c in cols)
    s.rows(
        severity,
        f"unique_{'__'.join(c.strip('_') for c in cols)}",
        f"with repeated as (select hash({listed}) as h from {{batch}} where {not_null} "
        f"group by h having count(*) > 1) "
        f"select {listed}, count(*) as copies from {{batch}} where {not_null} "
        f"and hash({listed}) in (select h from repeated) "
        f"group by {listed} having count(*) > 1",
        why,
    )


# --- raw layer --------------------------------------------------------------------------


def _email_columns(entity: Entity) -> list[str]:
    return [c.name for c in entity.all_columns if c.name in ("email", "requester_email")]


def _account_column(entity: Entity) -> str | None:
    names = {c.name for c in entity.all_columns}
    if entity.table == "support__tickets":
        return "organization_id"
    if entity.table != "crm__accounts" and "account_id" in names:
        return "account_id"
    return None


def raw_suite(entity: Entity) -> Suite:
    """Rules for ``raw.<source>__<entity>`` derived from the landing-zone contract.

    Raw is append-only (every delivery is kept; staging picks the winning version), so
    keys are unique *within a delivery file*, not across the table.
    """
    import great_expectations.expectations as gxe

    s = Suite("raw", entity.table, f"{entity.description} Loaded from `{entity.glob}`.")
    nested = {c.name for c in entity.nested_columns}
    contract_cols = [c.name for c in entity.all_columns]
    s.critical(
        gxe.ExpectTableColumnsToMatchSet(
            column_set=[*contract_cols, "_run_id", "_source_file", "_row_number"],
            exact_match=False,
        ),
        "every contract column exists (schema drift adds columns to _extra, never removes)",
    )
    for col in entity.key:
        if col not in nested:
            s.critical(gxe.ExpectColumnValuesToNotBeNull(column=col), "a record needs its key")
    _unique(
        s,
        WARNING,
        [*entity.key, "_source_file"],
        "a key appears once per delivery file (later deliveries may repeat it: staging picks "
        "the winner)",
    )
    for c in entity.all_columns:
        if not c.nullable and c.name not in entity.key and c.name not in nested:
            s.critical(
                gxe.ExpectColumnValuesToNotBeNull(column=c.name),
                "required by the contract (the extractor quarantines nulls)",
            )
        if c.enum:
            s.critical(
                gxe.ExpectColumnValuesToBeInSet(column=c.name, value_set=list(c.enum)),
                "allowed values of the contract",
            )
        if c.min is not None or c.max is not None:
            s.critical(
                gxe.ExpectColumnValuesToBeBetween(column=c.name, min_value=c.min, max_value=c.max),
                "range of the contract",
            )
    for col in _email_columns(entity):
        s.warning(
            gxe.ExpectColumnValuesToMatchRegex(column=col, regex=EMAIL_REGEX),
            "looks like an e-mail address (matching is case-insensitive and trimmed)",
        )
    account_col = _account_column(entity)
    if account_col:
        s.rows(
            WARNING,
            f"referential_integrity_{account_col}",
            f"select {account_col} as unknown_account_id, count(*) as records from {{batch}} "
            f"where {account_col} is not null and {account_col} not in "
            f"(select account_id from raw.crm__accounts where account_id is not null) "
            f"group by 1 order by 2 desc",
            f"every {account_col} refers to an account in raw.crm__accounts",
        )
        s.reads.add("raw.crm__accounts")
    if entity.table in MAX_UNMATCHED_EMAIL_SHARE:
        share = MAX_UNMATCHED_EMAIL_SHARE[entity.table]
        has_account = "account_id" in {c.name for c in entity.all_columns}
        unmatched = (
            "email is not null and lower(trim(email)) not in (select lower(trim(email)) "
            "from raw.crm__contacts where email is not null)"
            + (" and account_id is null" if has_account else "")
        )
        s.rows(
            WARNING,
            "unmatched_email_share",
            f"select count(*) filter (where {unmatched}) as unmatched, "
            f"count(*) filter (where email is not null) as with_email, "
            f"round(count(*) filter (where {unmatched}) / "
            f"nullif(count(*) filter (where email is not null), 0), 4) as share "
            f"from {{batch}} having share > {share}",
            f"at most {share:.0%} of e-mails match no CRM contact (unmatched records are kept "
            "with a null account and counted)",
        )
        s.reads.add("raw.crm__contacts")
    if entity.source in CADENCES:
        # Only systems that deliver on a cadence have a usual volume; what people record
        # (outcomes, overrides, pulses) comes in bursts, from files and the dashboard alike.
        s.rows(
            WARNING,
            "volume_change",
            _volume_query(entity),
            f"the latest delivery's rows lie within the range of the {VOLUME_HISTORY} "
            f"deliveries before it, widened {VOLUME_FACTOR:g}x each way (dq.load_manifest)",
        )
    return s


def _volume_query(entity: Entity) -> str:
    # {batch} is referenced so GX knows the rule is about this table; the numbers come from
    # the load manifest (one row per delivery file and load attempt).
    return (
        "with deliveries as ("
        " select file, rows_loaded, row_number() over (order by file desc) as recency"
        " from dq.load_manifest"
        f" where source = {literal(entity.source)} and entity = {literal(entity.name)}"
        " and status = 'loaded'"
        " and exists (select 1 from {batch})),"
        " history as (select min(rows_loaded) as low, max(rows_loaded) as high, count(*) as n"
        f" from deliveries where recency between 2 and {VOLUME_HISTORY + 1})"
        " select d.file as latest_file, d.rows_loaded, h.low as previous_min,"
        " h.high as previous_max"
        " from deliveries d cross join history h"
        " where d.recency = 1 and h.n > 0"
        f" and greatest(d.rows_loaded, h.high) >= {VOLUME_MIN_ROWS}"
        f" and (d.rows_loaded > h.high * {VOLUME_FACTOR}"
        f" or d.rows_loaded < h.low / {VOLUME_FACTOR})"
    )


def raw_suites() -> list[Suite]:
    return [raw_suite(e) for e in ENTITIES]


# --- marts ------------------------------------------------------------------------------


def _between(s: Suite, severity: str, cols: Iterable[str], lo, hi, why: str) -> None:
    import great_expectations.expectations as gxe

    for col in cols:
        s.add(
            severity, gxe.ExpectColumnValuesToBeBetween(column=col, min_value=lo, max_value=hi), why
        )


def _not_null(s: Suite, severity: str, cols: Iterable[str], why: str = "") -> None:
    import great_expectations.expectations as gxe

    for col in cols:
        s.add(severity, gxe.ExpectColumnValuesToNotBeNull(column=col), why or "must be known")


def _in_set(s: Suite, severity: str, col: str, values: Iterable[str], why: str = "") -> None:
    import great_expectations.expectations as gxe

    s.add(
        severity,
        gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(values)),
        why or "allowed values of the contract",
    )


def _in_seed(
    s: Suite, severity: str, col: str, seed: str, seed_col: str | None = None, *, also: str = ""
) -> None:
    """Every non-null ``col`` is a ``seed_col`` (default ``col``) of seed ``seed``, read from
    the warehouse (``also``: one more value the contract allows, e.g. segment ``all``)."""
    seed_col = seed_col or col
    allowed = f"select {seed_col} from {SEEDS_SCHEMA}.{seed} where {seed_col} is not null"
    if also:
        allowed += f" union all select {literal(also)}"
    s.rows(
        severity,
        f"{col}_in_seed_{seed}",
        f"select {col}, count(*) as records from {{batch}} where {col} is not null "
        f"and {col} not in ({allowed}) group by 1",
        f"every {col} is a {seed_col} of seed {seed}" + (f" (or {also})" if also else ""),
        column=col,
    )


def _at_most(s: Suite, severity: str, small: str, big: str) -> None:
    s.rows(
        severity,
        f"{small}_le_{big}",
        f"select * from {{batch}} where {small} > {big}",
        f"{small} never exceeds {big}",
        column=f"{small}, {big}",
    )


def mart_suites() -> list[Suite]:
    import great_expectations.expectations as gxe

    from dagster_project.transform.project import history_models

    suites: list[Suite] = []
    rates = "rates are ratios 0..1"
    scores = "scores are on 0-100"

    s = Suite("marts", "dim_accounts", "One row per account, as of D (contract section 3).")
    _not_null(s, WARNING, ["account_name"], "a CRM account has a name")
    _in_seed(s, CRITICAL, "segment", "segments")
    _in_seed(s, CRITICAL, "lifecycle_stage", "lifecycle_stages")
    _in_seed(s, CRITICAL, "adoption_stage", "adoption_stages")
    _between(s, WARNING, ["employee_count"], 1, None, "a company has at least one employee")
    _between(s, WARNING, ["seats", "annual_quota", "arr_jpy"], 0, None, "never negative")
    _between(s, WARNING, ["days_to_renewal"], 0, None, "the active contract ends on or after D")
    s.rows(
        WARNING,
        "contract_dates_ordered",
        "select account_id, contract_start, contract_end from {batch} "
        "where contract_end < contract_start",
        "an active contract starts before it ends",
    )
    s.rows(
        WARNING,
        "active_customer_has_contract",
        "select account_id from {batch} where is_active_customer and contract_id is null",
        "an active customer has a contract active at D",
    )
    suites.append(s)

    s = Suite(
        "marts",
        "fct_account_health",
        "One row per active account per snapshot date: DEAR scores and tier (section 4).",
    )
    _between(
        s,
        CRITICAL,
        ["health_score", "deployment_score", "engagement_score", "adoption_score", "roi_score"],
        0,
        100,
        scores,
    )
    _in_seed(s, CRITICAL, "health_tier", "health_tiers", "tier")
    s.rows(
        WARNING,
        "health_tier_ja_of_seed",
        "select h.health_tier, h.health_tier_ja, count(*) as records from {batch} h "
        f"left join {SEEDS_SCHEMA}.code_labels t "
        "on t.code_kind = 'health_tier' and t.code = h.health_tier "
        "where h.health_tier_ja is distinct from t.label_ja group by 1, 2",
        "health_tier_ja is the Japanese label of the tier in seed code_labels",
        column="health_tier_ja",
    )
    _in_seed(s, CRITICAL, "segment", "segments")
    _between(s, WARNING, ["health_score_change_28d"], -100, 100, "a change of two 0-100 scores")
    s.rows(
        WARNING,
        "score_unless_unknown",
        "select account_id, snapshot_date, health_tier, health_score from {batch} "
        "where (health_score is null) <> coalesce(health_tier in (select tier from "
        f"{SEEDS_SCHEMA}.health_tiers where min_score is null), false)",
        "a score exists exactly when the tier is the seed's tier without min_score (unknown)",
    )
    # effective_health_score needs no range of its own: it is override_score or health_score
    _between(s, CRITICAL, ["override_score"], 0, 100, scores)
    _in_seed(s, CRITICAL, "effective_health_tier", "health_tiers", "tier")
    s.rows(
        CRITICAL,
        "effective_follows_the_override",
        "select account_id, snapshot_date, override_score, health_score, effective_health_score "
        "from {batch} where effective_health_score is distinct from "
        "coalesce(override_score, health_score) "
        "or (override_score is null and effective_health_tier is distinct from health_tier)",
        "the effective score and tier are the override's while one applies, else the computed",
        column="effective_health_score",
    )
    suites.append(s)

    s = Suite(
        "marts",
        "fct_health_overrides",
        "Every health override set by D with its status as of D (section 11).",
    )
    _in_seed(s, CRITICAL, "status", "override_statuses")
    _between(s, CRITICAL, ["override_score"], 0, 100, scores)
    _in_seed(s, CRITICAL, "override_tier", "health_tiers", "tier")
    s.rows(
        CRITICAL,
        "one_active_override_per_account",
        "select account_id, count(*) as active from {batch} where status = 'active' "
        "group by 1 having count(*) > 1",
        "at most one override applies to an account at D",
        column="status",
    )
    s.rows(
        WARNING,
        f"expiry_within_{OVERRIDE_DAYS_MAX}_days_of_set_day",
        "select override_id, set_on, expires_on from {batch} "
        f"where expires_on < set_on or expires_on > set_on + {OVERRIDE_DAYS_MAX}",
        f"an override expires on or after its set day and at most {OVERRIDE_DAYS_MAX} days "
        "after it",
        column="expires_on",
    )
    suites.append(s)

    s = Suite(
        "marts",
        "fct_health_metrics",
        "Why a score is what it is: one row per account, snapshot date and metric.",
    )
    _in_seed(s, CRITICAL, "dimension", "health_dimensions")
    _between(s, CRITICAL, ["score", "dimension_score"], 0, 100, scores)
    _between(s, CRITICAL, ["weight"], 0, 1, "a metric's effective share of the score")
    _between(s, CRITICAL, ["contribution"], 0, 100, "points added to the health score")
    s.rows(
        CRITICAL,
        "no_value_no_points",
        "select account_id, snapshot_date, metric, value, score, weight, contribution "
        "from {batch} where (value is null and score is not null) "
        "or ((value is null or score is null) and (weight <> 0 or contribution <> 0))",
        "a metric without a value has no score, weight 0 and contribution 0 (reading 25)",
    )
    suites.append(s)

    s = Suite("marts", "fct_cta_candidates", "Every call to action raised (section 6).")
    _in_seed(s, CRITICAL, "cta_type", "cta_rules")
    _in_set(s, CRITICAL, "direction", CTA_DIRECTIONS)
    _in_set(s, CRITICAL, "priority", CTA_PRIORITIES)
    _in_set(s, CRITICAL, "status", CTA_STATUSES)
    _in_seed(s, CRITICAL, "segment", "segments")
    _in_seed(s, CRITICAL, "close_reason_code", "close_reasons", "reason_code")
    s.rows(
        CRITICAL,
        "snoozed_until_a_later_day",
        "select cta_id, status, snooze_until, as_of_date from {batch} "
        "where status = 'snoozed' and not coalesce(snooze_until > as_of_date, false)",
        "a CTA is snoozed only while D is before its snooze_until (section 11)",
        column="status, snooze_until",
    )
    s.add(
        WARNING,
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="due_on", column_B="triggered_on", or_equal=True
        ),
        "a CTA is due on or after the day it was raised",
    )
    suites.append(s)

    s = Suite("marts", "dim_playbooks", "Who acts on a CTA, how and how fast (seed).")
    # The rule's direction and priority come from seed cta_rules: every rule that can fire
    # has a playbook (a dbt test), so this checks the seed's values for the contract.
    _in_set(s, CRITICAL, "direction", CTA_DIRECTIONS)
    _in_set(s, CRITICAL, "priority", CTA_PRIORITIES)
    _between(s, WARNING, ["sla_days"], 0, 365, "an SLA of days")
    suites.append(s)

    s = Suite("marts", "mart_kpi_monthly", "KPIs per month and segment (section 7).")
    _in_seed(s, CRITICAL, "segment", "segments", also=ALL_SEGMENTS)
    _between(s, CRITICAL, ["renewal_rate", "reaction_rate"], 0, 1, rates)
    _between(s, CRITICAL, ["nps"], -100, 100, "NPS is on -100..100")
    _between(s, CRITICAL, ["avg_health_score"], 0, 100, scores)
    _between(
        s,
        WARNING,
        [
            "active_customers",
            "renewals_due",
            "renewed",
            "churned_customers",
            "at_risk_accounts",
            "nps_responses",
            "ctas_raised",
            "ctas_won",
        ],
        0,
        None,
        "counts are never negative",
    )
    _at_most(s, CRITICAL, "renewed", "renewals_due")
    _at_most(s, CRITICAL, "at_risk_accounts", "active_customers")
    _at_most(s, CRITICAL, "ctas_won", "ctas_raised")
    suites.append(s)

    s = Suite("marts", "mart_arr_movements", "ARR movements, NRR and GRR per month and segment.")
    _in_seed(s, CRITICAL, "segment", "segments", also=ALL_SEGMENTS)
    arr_columns = ["arr_start", "arr_new", "arr_expansion", "arr_contraction", "arr_churn"]
    arr_columns += ["arr_reactivation", "arr_end"]
    _between(s, CRITICAL, arr_columns, 0, None, "ARR amounts and movements are never negative")
    _between(s, CRITICAL, ["grr", "grr_ttm"], 0, 1, "gross retention cannot exceed 100 %")
    _between(s, CRITICAL, ["nrr", "nrr_ttm"], 0, None, "net retention is never negative")
    s.rows(
        CRITICAL,
        "arr_identity",
        "select month, segment from {batch} where arr_start + arr_new + arr_expansion"
        " - arr_contraction - arr_churn + arr_reactivation <> arr_end",
        "arr_start + new + expansion - contraction - churn + reactivation = arr_end",
        column="arr_end",
    )
    suites.append(s)

    s = Suite("marts", "dim_contracts", "One row per contract term, judged at D (reading 26).")
    _in_seed(s, CRITICAL, "segment", "segments")
    _between(
        s,
        WARNING,
        ["seats", "seats_at_end", "annual_quota", "arr_jpy", "amendments"],
        0,
        None,
        "never negative",
    )
    s.rows(
        CRITICAL,
        "contract_dates_ordered",
        "select contract_id, start_date, end_date from {batch} where end_date < start_date",
        "a contract starts on or before it ends",
    )
    s.rows(
        CRITICAL,
        "churned_is_due_and_not_renewed",
        "select contract_id from {batch} where is_churned and (is_renewed or not is_renewal_due)",
        "a churned contract ended on or before D and was not renewed",
    )
    s.rows(
        CRITICAL,
        "renewal_due_by_end_date",
        "select contract_id from {batch} where is_renewal_due <> (end_date <= as_of_date)",
        "a contract is due for renewal exactly when its end_date is on or before D",
    )
    suites.append(s)

    s = Suite("marts", "dim_calendar", "One row per day: week, month, fiscal quarter and year.")
    _between(s, CRITICAL, ["fiscal_quarter"], 1, 4, "a fiscal year has four quarters")
    s.rows(
        CRITICAL,
        "periods_hold_the_day",
        "select date_day from {batch} where not (week_start <= date_day "
        "and month_start <= date_day and fiscal_quarter_start <= date_day "
        "and fiscal_year_start <= fiscal_quarter_start and fiscal_quarter_start <= month_start)",
        "every period a day is labelled with starts on or before it, nested year > quarter > month",
    )
    s.rows(
        CRITICAL,
        "no_gaps",
        "select count(*) as days, min(date_day) as first_day, max(date_day) as last_day "
        "from {batch} having count(*) <> datediff('day', min(date_day), max(date_day)) + 1",
        "the calendar has every day between its first and last (MetricFlow's time spine)",
    )
    suites.append(s)

    s = Suite(
        "marts",
        "mart_health_calibration",
        "Does the score predict? Churn and expansion within 180 days per tier.",
    )
    _in_seed(s, CRITICAL, "health_tier", "health_tiers", "tier")
    _between(s, CRITICAL, ["churn_rate_180d", "expansion_rate_180d"], 0, 1, rates)
    _between(s, WARNING, ["snapshots"], 0, None, "counts are never negative")
    s.rows(
        WARNING,
        "every_tier",
        f"select tier from {SEEDS_SCHEMA}.health_tiers where tier not in "
        "(select health_tier from {batch} where health_tier is not null)",
        "every tier of seed health_tiers has a row (reading 30)",
    )
    suites.append(s)

    s = Suite("marts", "mart_cta_effectiveness", "Per CTA type: actioned, won and backtest.")
    _between(
        s,
        CRITICAL,
        [
            "conversion_rate",
            "churn_rate_180d",
            "expansion_rate_180d",
            "baseline_churn_rate_180d",
            "baseline_expansion_rate_180d",
        ],
        0,
        1,
        rates,
    )
    _between(
        s, WARNING, ["raised", "actioned", "won", "backtest_raised"], 0, None, "never negative"
    )
    _at_most(s, CRITICAL, "actioned", "raised")
    _at_most(s, CRITICAL, "won", "actioned")
    _at_most(s, CRITICAL, "backtest_raised", "raised")
    suites.append(s)

    s = Suite(
        "marts",
        "mart_cta_close_reasons",
        "Why CTAs were lost or dismissed: per rule and close reason (section 11).",
    )
    _in_seed(s, CRITICAL, "cta_type", "cta_rules")
    _in_seed(s, CRITICAL, "reason_code", "close_reasons")
    _in_seed(s, CRITICAL, "outcome", "close_reasons")
    _between(s, CRITICAL, ["share_of_outcome"], 0, 1, rates)
    _between(s, WARNING, ["ctas", "outcome_ctas"], 0, None, "never negative")
    _at_most(s, CRITICAL, "ctas", "outcome_ctas")
    suites.append(s)
    s = Suite(
        "marts",
        "fct_account_events",
        "Contract events: start, renewal, reactivation, churn, expansion, contraction.",
    )
    _in_set(s, CRITICAL, "event_type", ACCOUNT_EVENT_TYPES)
    _in_seed(s, CRITICAL, "segment", "segments")
    _between(s, WARNING, ["arr_before", "arr_after"], 0, None, "ARR is never negative")
    s.rows(
        CRITICAL,
        "no_event_after_as_of_date",
        "select event_id, event_date, as_of_date from {batch} where event_date > as_of_date",
        "only events on or before D",
        column="event_date",
    )
    s.rows(
        WARNING,
        "arr_change_is_after_minus_before",
        "select event_id, arr_before, arr_after, arr_change from {batch} "
        "where arr_change is distinct from arr_after - arr_before",
        "arr_change = arr_after - arr_before",
        column="arr_change",
    )
    s.rows(
        WARNING,
        "arr_sides_follow_the_event_type",
        "select event_id, event_type, arr_before, arr_after from {batch} "
        "where (event_type in ('contract_start', 'reactivation') and arr_before <> 0) "
        "or (event_type = 'churn' and arr_after <> 0) "
        "or (event_type = 'expansion' and arr_after <= arr_before) "
        "or (event_type = 'contraction' and arr_after >= arr_before)",
        "a start or reactivation comes from 0, a churn goes to 0, an expansion raises ARR "
        "and a contraction lowers it",
        column="event_type, arr_before, arr_after",
    )
    s.rows(
        WARNING,
        "change_id_on_amendments_only",
        "select event_id, event_type, change_id from {batch} "
        "where (change_id is not null) <> (event_type in ('expansion', 'contraction'))",
        "an expansion or contraction names its amendment; no other event does",
        column="change_id",
    )
    suites.append(s)
    s = Suite(
        "marts",
        "fct_account_timeline",
        "The account timeline: touches, tickets, NPS, seminars, CTAs, outcomes, overrides, pulses.",
    )
    s.rows(
        CRITICAL,
        "kind_in_seed_code_labels",
        "select kind, count(*) as records from {batch} where kind not in (select code from "
        f"{SEEDS_SCHEMA}.code_labels where code_kind = 'timeline_kind') group by 1",
        "every kind is a timeline_kind of seed code_labels",
        column="kind",
    )
    _in_seed(s, CRITICAL, "segment", "segments")
    s.rows(
        WARNING,
        "no_email_as_actor",
        "select event_id, kind from {batch} where actor like '%@%'",
        "a person is named by role or staff name, never by e-mail address",
        column="actor",
    )
    suites.append(s)
    for suite in suites:
        suite.latest_build_only = suite.table in history_models()
    return suites


def all_suites() -> list[Suite]:
    return [*raw_suites(), *mart_suites()]


MART_TABLES: tuple[str, ...] = (
    "dim_accounts",
    "fct_account_health",
    "fct_health_metrics",
    "fct_health_overrides",
    "fct_cta_candidates",
    "dim_playbooks",
    "mart_kpi_monthly",
    "mart_arr_movements",
    "mart_health_calibration",
    "mart_cta_effectiveness",
    "mart_cta_close_reasons",
    "dim_contracts",
    "dim_calendar",
    "fct_account_events",
    "fct_account_timeline",
)
