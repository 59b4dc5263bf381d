"""The landing-zone contract (CONTRACT.md section 1) as data.

One place says which files each source system drops, which columns they carry, their
types, keys and allowed values, and how often each system delivers. The extractor validates
against it, the generator writes to it, the quality suites and the freshness checks read it,
and dbt's source definitions (``dbt/models/staging/<source>/_<source>__sources.yml``) are
generated from it by ``cswh dbt-sources``, so a change to the contract is a change here.

Raw tables are named ``raw.<source>__<entity>`` (for example ``raw.crm__accounts``) and
hold the contract columns, typed, plus the load metadata columns in ``LOAD_COLUMNS``.
Timestamps are stored as naive ``TIMESTAMP`` in Japan time (reading 20).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster_project.seeds import project_var, read_seed

# Column types of the raw layer. "timestamp" accepts 'YYYY-MM-DD HH:MM:SS' (JST) or ISO
# 8601 with an offset, converted to JST; "date" accepts 'YYYY-MM-DD'.
VARCHAR, INTEGER, DATE, TIMESTAMP, BOOLEAN = "varchar", "integer", "date", "timestamp", "boolean"

# Appended by the extractor to every raw table: DuckDB type, and what it says.
LOAD_COLUMNS: dict[str, str] = {
    "_run_id": "VARCHAR",
    "_source_file": "VARCHAR",
    "_row_number": "BIGINT",
    "_loaded_at": "TIMESTAMP",
    "_extra": "JSON",
}
LOAD_COLUMN_NOTES: dict[str, str] = {
    "_run_id": "Dagster run that loaded the row (joins dq.load_manifest.run_id)",
    "_source_file": "landing-zone file, relative path; deliveries order lexically by it",
    "_row_number": "1-based record number in the file (header excluded; JSONL: line)",
    "_loaded_at": "when the row was loaded (UTC)",
    "_extra": "unknown extra columns of the row (schema drift) as JSON, else null",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    enum: tuple[str, ...] | None = None  # allowed values (nulls governed by ``nullable``)
    min: int | None = None  # inclusive bounds for integers
    max: int | None = None
    # Enums: the code_kind of seed code_labels that labels the values; values spelled as a
    # synonym of that kind in seed code_synonyms (e.g. 緊急) load as the code (urgent).
    code_kind: str | None = None

    @property
    def note(self) -> str:
        """The column's rules in words (raw table comments, dbt source docs)."""
        notes = [self.type]
        if self.nullable:
            notes.append("nullable")
        if self.enum:
            notes.append("one of " + ", ".join(self.enum))
        if self.min is not None:
            notes.append(f">= {self.min}")
        if self.max is not None:
            notes.append(f"<= {self.max}")
        if self.type == TIMESTAMP:
            notes.append("Japan time")
        return "; ".join(notes)


@dataclass(frozen=True)
class RowRule:
    """A rule across the columns of one record: it is broken where ``condition`` holds.

    ``condition`` is SQL over the record's typed values, written ``{column}``; a null
    result counts as not broken (columns' own rules report missing or bad values)."""

    condition: str
    message: str  # the quarantine reason and the form's message


@dataclass(frozen=True)
class Entity:
    source: str  # source system = folder in the landing zone = Dagster extraction asset
    name: str  # entity within the source
    glob: str  # relative to the landing zone
    format: str  # csv | jsonl | parquet
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str = ""
    nested: str | None = None  # jsonl: name of a nested list flattened into rows
    nested_columns: tuple[Column, ...] = field(default=())
    # Rules across columns of one record, checked after each column's own rules.
    row_rules: tuple[RowRule, ...] = field(default=())

    @property
    def table(self) -> str:
        return f"{self.source}__{self.name}"

    @property
    def all_columns(self) -> tuple[Column, ...]:
        return self.columns + self.nested_columns

    def column(self, name: str) -> Column:
        return next(c for c in self.all_columns if c.name == name)


def _sql_list(values) -> str:
    """Values as a SQL list of string literals (for a RowRule's condition)."""
    from dagster_project.sql_text import literal

    return ", ".join(literal(v) for v in values)


def _c(name: str, type_: str = VARCHAR, **kw) -> Column:
    return Column(name, type_, **kw)


CONTACT_ROLES = ("decision_maker", "admin", "champion", "end_user")
CONTRACT_STATUSES = ("active", "renewed", "churned")
CHANGE_TYPES = ("seat_add", "seat_remove", "upgrade", "downgrade", "cross_sell")
ACTIVITY_TYPES = ("meeting", "regular_meeting", "call", "email", "onsite")
OBJECTIVE_STATUSES = ("planned", "in_progress", "achieved", "missed")
LEAD_SOURCES = ("web", "seminar", "trial", "referral", "whitepaper", "event")
LEAD_STATUSES = ("open", "qualified", "converted", "disqualified")
EVENT_TYPES = (
    "email_open",
    "email_click",
    "whitepaper_download",
    "pricing_page_view",
    "community_post",
    "trial_signup",
)
SEMINAR_CATEGORIES = ("onboarding", "training", "webinar", "user_event", "community")
TICKET_STATUSES = ("new", "open", "pending", "solved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
SATISFACTION = ("good", "bad")
USER_ROLES = ("admin", "member")
OUTCOMES = ("contacted", "no_response", "won", "lost", "dismissed", "snoozed")
# Outcomes that close a CTA for a reason; the reasons and which outcome each closes live in
# seed close_reasons (CS Ops add reasons in review, like any value list).
CLOSING_OUTCOMES = ("lost", "dismissed")


def _close_reasons() -> tuple[tuple[str, str], ...]:
    """(reason_code, outcome) pairs of seed close_reasons, in the seed's order."""
    rows = sorted(read_seed("close_reasons"), key=lambda r: int(r["sort_order"] or 0))
    return tuple((str(r["reason_code"]), str(r["outcome"])) for r in rows)


CLOSE_REASONS = _close_reasons()
# An override's expiry: by default / at most this many days after its set date (dbt vars).
OVERRIDE_DAYS_DEFAULT = int(project_var("override_days_default"))
OVERRIDE_DAYS_MAX = int(project_var("override_days_max"))
FEATURES = (  # the contract's minimum; other feature names are accepted
    "web_session",
    "mobile_session",
    "core_action",
    "search",
    "export",
    "share",
    "integration",
)

ENTITIES: tuple[Entity, ...] = (
    Entity(
        "crm",
        "accounts",
        "crm/accounts*.csv",
        "csv",
        (
            _c("account_id"),
            _c("account_name"),
            _c("industry"),
            _c("employee_count", INTEGER, min=1),
            _c("region"),
            _c("csm_owner", nullable=True),
            _c("created_at", DATE),
        ),
        ("account_id",),
        "A customer company.",
    ),
    Entity(
        "crm",
        "contacts",
        "crm/contacts*.csv",
        "csv",
        (
            _c("contact_id"),
            _c("account_id"),
            _c("full_name"),
            _c("email"),
            _c("role", enum=CONTACT_ROLES, code_kind="contact_role"),
            _c("created_at", DATE),
        ),
        ("contact_id",),
        "A person at a customer.",
    ),
    Entity(
        "crm",
        "contracts",
        "crm/contracts*.csv",
        "csv",
        (
            _c("contract_id"),
            _c("account_id"),
            _c("product"),
            _c("plan"),
            _c("start_date", DATE),
            _c("end_date", DATE),
            _c("seats", INTEGER, min=0),
            _c("annual_quota", INTEGER, min=0),
            _c("arr_jpy", INTEGER, min=0),
            _c("status", enum=CONTRACT_STATUSES, code_kind="contract_status"),
        ),
        ("contract_id",),
        "One contract term.",
    ),
    Entity(
        "crm",
        "contract_changes",
        "crm/contract_changes*.csv",
        "csv",
        (
            _c("change_id"),
            _c("account_id"),
            _c("contract_id"),
            _c("changed_at", DATE),
            _c("change_type", enum=CHANGE_TYPES, code_kind="change_type"),
            _c("delta_seats", INTEGER),
            _c("delta_arr_jpy", INTEGER),
        ),
        ("change_id",),
        "A mid-term amendment (seats, plan, cross-sell).",
    ),
    Entity(
        "crm",
        "activities",
        "crm/activities*.csv",
        "csv",
        (
            _c("activity_id"),
            _c("account_id"),
            _c("contact_id", nullable=True),
            _c("activity_type", enum=ACTIVITY_TYPES, code_kind="activity_type"),
            _c("occurred_at", TIMESTAMP),
            _c("owner"),
        ),
        ("activity_id",),
        "A touch by CS / sales.",
    ),
    Entity(
        "crm",
        "success_plans",
        "crm/success_plans*.csv",
        "csv",
        (
            _c("objective_id"),
            _c("account_id"),
            _c("objective"),
            _c("target_date", DATE),
            _c("status", enum=OBJECTIVE_STATUSES, code_kind="objective_status"),
            _c("achieved_at", DATE, nullable=True),
        ),
        ("objective_id",),
        "One objective of a customer's success plan.",
    ),
    Entity(
        "marketing",
        "leads",
        "marketing/leads*.csv",
        "csv",
        (
            _c("lead_id"),
            _c("email"),
            _c("company_name"),
            _c("account_id", nullable=True),
            _c("lead_source", enum=LEAD_SOURCES, code_kind="lead_source"),
            _c("created_at", TIMESTAMP),
            _c("status", enum=LEAD_STATUSES, code_kind="lead_status"),
            _c("converted_at", TIMESTAMP, nullable=True),
        ),
        ("lead_id",),
        "A lead in the marketing-automation tool.",
    ),
    Entity(
        "marketing",
        "engagements",
        "marketing/engagements*.jsonl",
        "jsonl",
        (
            _c("event_id"),
            _c("email"),
            _c("account_id", nullable=True),
            _c("event_type", enum=EVENT_TYPES, code_kind="engagement_event_type"),
            _c("occurred_at", TIMESTAMP),
        ),
        ("event_id",),
        "An email click, download, community post, ...",
    ),
    Entity(
        "seminars",
        "registrations",
        "seminars/seminars*.jsonl",
        "jsonl",
        (
            _c("seminar_id"),
            _c("title"),
            _c("category", enum=SEMINAR_CATEGORIES, code_kind="seminar_category"),
            _c("held_at", TIMESTAMP),
        ),
        ("seminar_id", "email"),
        "A seminar registration, flattened from seminars with nested registrations "
        "(a seminar without registrations is one row with null registration fields).",
        nested="registrations",
        nested_columns=(
            _c("email"),
            _c("registered_at", TIMESTAMP),
            _c("attended", BOOLEAN),
            _c("attended_minutes", INTEGER, nullable=True, min=0),
        ),
    ),
    Entity(
        "support",
        "tickets",
        "support/tickets*.jsonl",
        "jsonl",
        (
            _c("id"),
            _c("organization_id"),
            _c("requester_email"),
            _c("subject"),
            _c("created_at", TIMESTAMP),
            _c("updated_at", TIMESTAMP),
            _c("solved_at", TIMESTAMP, nullable=True),
            _c("status", enum=TICKET_STATUSES, code_kind="ticket_status"),
            _c("priority", enum=TICKET_PRIORITIES, code_kind="ticket_priority"),
            _c("channel"),
            _c("category"),
            _c("satisfaction", nullable=True, enum=SATISFACTION, code_kind="ticket_satisfaction"),
        ),
        ("id", "updated_at"),
        "A help-desk ticket version (incremental export; the latest updated_at wins).",
    ),
    Entity(
        "nps",
        "responses",
        "nps/responses*.csv",
        "csv",
        (
            _c("response_id"),
            _c("email"),
            _c("account_id", nullable=True),
            _c("sent_at", TIMESTAMP),
            _c("responded_at", TIMESTAMP),
            _c("score", INTEGER, min=0, max=10),
            _c("comment", nullable=True),
        ),
        ("response_id",),
        "An NPS survey answer.",
    ),
    Entity(
        "usage",
        "users",
        "usage/users*.parquet",
        "parquet",
        (
            _c("user_id"),
            _c("account_id"),
            _c("role", enum=USER_ROLES, code_kind="user_role"),
            _c("created_at", TIMESTAMP),
            _c("first_login_at", TIMESTAMP, nullable=True),
            _c("deactivated_at", TIMESTAMP, nullable=True),
        ),
        ("user_id",),
        "A product user ID issued to a customer.",
    ),
    Entity(
        "usage",
        "daily",
        "usage/daily/**/*.parquet",
        "parquet",
        (
            _c("activity_date", DATE),
            _c("account_id"),
            _c("user_id"),
            _c("feature"),
            _c("event_count", INTEGER, min=1),
            _c("devices", INTEGER, min=1),
        ),
        ("activity_date", "user_id", "feature"),
        "One user's use of one feature on one day.",
    ),
    Entity(
        "cta_actions",
        "outcomes",
        "cta_actions/outcomes*.csv",
        "csv",
        (
            _c("cta_id"),
            _c("recorded_at", TIMESTAMP),
            _c("recorded_by"),
            _c("outcome", enum=OUTCOMES, code_kind="cta_outcome"),
            _c("note", nullable=True),
            _c(
                "reason_code",
                nullable=True,
                enum=tuple(dict.fromkeys(code for code, _ in CLOSE_REASONS)),
                code_kind="close_reason",
            ),
            _c("snooze_until", DATE, nullable=True),
        ),
        ("cta_id", "recorded_at"),
        "A CTA outcome recorded elsewhere (e.g. in the CRM) or in the dashboard.",
        row_rules=(
            RowRule(
                "{outcome} in (" + _sql_list(CLOSING_OUTCOMES) + ") and {reason_code} is null",
                "reason_code: required when outcome is " + " or ".join(CLOSING_OUTCOMES),
            ),
            RowRule(
                "{reason_code} is not null and {outcome} || '|' || {reason_code} not in ("
                + _sql_list(f"{o}|{code}" for code, o in CLOSE_REASONS)
                + ")",
                "reason_code: not a reason for this outcome (seed close_reasons says which "
                "outcome each reason closes)",
            ),
            RowRule(
                "{snooze_until} is not null and {outcome} <> 'snoozed'",
                "snooze_until: only a snoozed outcome has one",
            ),
            RowRule(
                "{snooze_until} <= cast({recorded_at} as date)",
                "snooze_until: must be after the day the outcome was recorded",
            ),
        ),
    ),
    Entity(
        "cs_inputs",
        "overrides",
        "cs_inputs/overrides*.csv",
        "csv",
        (
            _c("override_id"),
            _c("account_id"),
            _c("set_at", TIMESTAMP),
            _c("set_by"),
            _c("override_score", INTEGER, min=0, max=100),
            _c("reason"),
            _c("expires_on", DATE, nullable=True),
        ),
        ("override_id",),
        "A health override: CS Ops or the account's CSM set the score by hand until it expires.",
        row_rules=(
            RowRule(
                "{expires_on} < cast({set_at} as date)",
                "expires_on: before the day the override was set",
            ),
            RowRule(
                f"{{expires_on}} > cast({{set_at}} as date) + interval {OVERRIDE_DAYS_MAX} day",
                f"expires_on: more than {OVERRIDE_DAYS_MAX} days after the override was set",
            ),
        ),
    ),
    Entity(
        "cs_inputs",
        "pulse",
        "cs_inputs/pulse*.csv",
        "csv",
        (
            _c("pulse_id"),
            _c("account_id"),
            _c("recorded_at", TIMESTAMP),
            _c("recorded_by"),
            _c("pulse", INTEGER, min=1, max=5),
            _c("note", nullable=True),
        ),
        ("pulse_id",),
        "A CSM's read of the account: 1 = about to leave .. 5 = advocate.",
    ),
    Entity(
        "cs_inputs",
        "opt_outs",
        "cs_inputs/opt_outs*.csv",
        "csv",
        (_c("email"), _c("opted_out_at", TIMESTAMP)),
        ("email",),
        "A person who wants no automated e-mail.",
    ),
)

SOURCES: tuple[str, ...] = tuple(dict.fromkeys(e.source for e in ENTITIES))

# What each source system is (dbt source descriptions).
SOURCE_DESCRIPTIONS: dict[str, str] = {
    "crm": "The CRM: customer companies, contacts, contracts and amendments, CS/sales touches, "
    "success plans.",
    "marketing": "The marketing-automation tool: leads and their engagement events.",
    "seminars": "The seminar platform: seminars with their registrations (flattened, one row "
    "per registration).",
    "support": "The help desk: ticket versions from the incremental export.",
    "nps": "The NPS survey tool: survey answers.",
    "usage": "The product: user IDs issued to customers and daily per-user, per-feature usage.",
    "cta_actions": "CTA outcomes recorded outside the dashboard (e.g. in the CRM) and dropped "
    "into the landing zone.",
    "cs_inputs": "What CS people add: health overrides, CSM pulses and e-mail opt-outs, "
    "dropped into the landing zone (those recorded in the dashboard join them at extraction).",
}


@dataclass(frozen=True)
class Cadence:
    """How often a source system delivers (CONTRACT.md section 1 deliveries).

    Read by two checks that measure different things: the Dagster ``freshness`` checks
    (freshness.py) compare the newest *event* ``column`` with the as-of date D ("does the
    data reach D?"); dbt's ``source freshness`` compares the newest ``_loaded_at`` of
    ``table`` with the wall clock ("has the pipeline loaded a delivery lately?").
    """

    source: str
    table: str  # raw table (without schema) that carries the watermark
    column: str  # date or timestamp of the newest event delivered
    max_age_days: int  # late when the newest delivery is older than this many days
    delivery: str  # how the source delivers, in words


# The cta_actions and cs_inputs sources have none: people record outcomes, overrides and
# pulses whenever they act, so they are never late. CS Ops review a change here like a seed.
CADENCES: dict[str, Cadence] = {
    c.source: c
    for c in (
        Cadence("crm", "crm__activities", "occurred_at", 7, "a daily CRM export"),
        Cadence("marketing", "marketing__engagements", "occurred_at", 35, "a monthly file"),
        # Seminars are not held every day: a month of files plus half a month without one.
        Cadence("seminars", "seminars__registrations", "held_at", 45, "a monthly file"),
        Cadence("support", "support__tickets", "updated_at", 35, "a monthly incremental export"),
        # A quarterly survey: a quarter plus a month for the last answers to come in.
        Cadence("nps", "nps__responses", "responded_at", 120, "a quarterly survey export"),
        Cadence("usage", "usage__daily", "activity_date", 2, "a daily file"),
    )
}


def entities_of(source: str) -> tuple[Entity, ...]:
    return tuple(e for e in ENTITIES if e.source == source)


def entity(table: str) -> Entity:
    return next(e for e in ENTITIES if e.table == table)
