"""The columns analysts expect on the published marts (issue 14): D where a table depends on
it, segment on the facts, the partial week, fiscal periods, quota consumption and the current
tier on dim_accounts, overdue CTAs and the record that raised them, counts typed BIGINT.
Read from one real `cswh run` on the tiny landing zone (published_tiny); the last test runs
the pipeline again on a copy whose CTA ledger and weekly usage predate these columns."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.support import clone_root, published_tiny, query, run_cswh

# Tables whose content depends on D carry it; the health history (fct_account_health,
# fct_health_metrics) does not: a grid day's rows must not change when D moves (section 10).
WITH_AS_OF = (
    "dim_accounts",
    "fct_cta_candidates",
    "mart_kpi_monthly",
    "mart_health_calibration",
    "mart_cta_effectiveness",
    "mart_cta_close_reasons",
)


@pytest.fixture(scope="module")
def serving(tmp_path_factory, tiny_zone: Path) -> Path:
    return published_tiny(tmp_path_factory, tiny_zone).serving


def _d(serving: Path) -> date:
    (d,) = query(serving, "select max(as_of_date) from dq.publish_log")[0]
    return d


def test_no_mart_column_is_hugeint(serving: Path) -> None:
    hugeint = query(
        serving,
        "select table_name, column_name from duckdb_columns() "
        "where schema_name = 'marts' and data_type in ('HUGEINT', 'UHUGEINT') order by 1, 2",
    )
    assert hugeint == []
    # and the counts arrive in pandas as integers, not floats
    con = duckdb.connect(str(serving), read_only=True)
    try:
        frame = con.execute("select renewed, ctas_won from marts.mart_kpi_monthly").df()
    finally:
        con.close()
    assert all(str(t).startswith("int") for t in frame.dtypes), frame.dtypes


@pytest.mark.parametrize("table", WITH_AS_OF)
def test_tables_that_depend_on_d_carry_it(serving: Path, table: str) -> None:
    values = query(serving, f"select distinct as_of_date from marts.{table}")
    assert values == [(_d(serving),)]


def test_history_tables_do_not_carry_d(serving: Path) -> None:
    for table in ("fct_account_health", "fct_health_metrics"):
        columns = {r[0] for r in query(serving, f"describe marts.{table}")}
        assert "as_of_date" not in columns, table


def test_facts_carry_the_accounts_segment(serving: Path) -> None:
    for table in ("fct_tickets", "fct_nps_responses", "fct_seminar_attendance", "fct_usage_weekly"):
        wrong = query(
            serving,
            f"select count(*) from marts.{table} as f left join marts.dim_accounts as a "
            "on f.account_id = a.account_id where f.segment is distinct from a.segment",
        )
        assert wrong == [(0,)], table
    assert query(serving, "select count(segment) > 0 from marts.fct_usage_weekly") == [(True,)]


def test_the_partial_week_is_flagged(serving: Path) -> None:
    d = _d(serving)
    rows = query(
        serving,
        "select distinct week_start, week_end, days_in_week, is_partial_week "
        "from marts.fct_usage_weekly",
    )
    assert rows
    for week_start, week_end, days, partial in rows:
        assert days == max(0, min(7, (d - week_start).days + 1))
        assert partial == (week_end > d) == (days < 7)
    latest = max(r[0] for r in rows)
    assert latest <= d < latest + timedelta(days=7)


def test_kpi_months_carry_fiscal_year_and_quarter(serving: Path) -> None:
    rows = query(
        serving,
        "select distinct month, fiscal_year_start, fiscal_year, fiscal_quarter "
        "from marts.mart_kpi_monthly",
    )
    for month, fy_start, fy, fq in rows:
        assert fy == fy_start.year
        assert fq == ((month.month - 4) % 12) // 3 + 1  # April start (the default var)


def test_dim_accounts_quota_and_tier_are_the_current_snapshots(serving: Path) -> None:
    wrong = query(
        serving,
        "select a.account_id from marts.dim_accounts as a "
        "left join marts.fct_account_health as h "
        "on a.account_id = h.account_id and h.snapshot_date = a.as_of_date "
        "where a.quota_consumption is distinct from h.quota_consumption "
        "or a.health_tier is distinct from h.health_tier "
        "or a.health_score is distinct from h.health_score",
    )
    assert wrong == []
    assert query(
        serving,
        "select count(quota_consumption) > 0, count(*) filter (where not is_active_customer "
        "and quota_consumption is not null) from marts.dim_accounts",
    ) == [(True, 0)]


def test_overdue_ctas(serving: Path) -> None:
    d = _d(serving)
    rows = query(
        serving, "select status, due_on, is_overdue, days_overdue from marts.fct_cta_candidates"
    )
    assert any(r[2] for r in rows), "no overdue CTA in the tiny run"
    for status, due_on, overdue, days in rows:
        assert overdue == (status == "open" and due_on < d)
        assert days == ((d - due_on).days if overdue else None)


def test_each_cta_names_the_record_that_raised_it(serving: Path) -> None:
    kinds = dict(
        query(
            serving,
            "select cta_type, string_agg(distinct source_kind, ',') "
            "from marts.fct_cta_candidates group by 1",
        )
    )
    assert kinds.get("nps_detractor") == "nps_response"
    assert kinds.get("ticket_surge") == "ticket"
    assert all(k is not None for k in kinds.values()), kinds
    # the named record exists, belongs to the account and lies in the rule's window
    unmatched = query(
        serving,
        "select c.cta_id from marts.fct_cta_candidates as c "
        "left join marts.fct_nps_responses as n on c.source_id = n.response_id "
        "and n.account_id = c.account_id and n.score <= 6 "
        "and n.responded_on between c.triggered_on - 13 and c.triggered_on "
        "where c.source_kind = 'nps_response' and n.response_id is null "
        "union all "
        "select c.cta_id from marts.fct_cta_candidates as c "
        "left join marts.fct_tickets as t on c.source_id = t.ticket_id "
        "and t.account_id = c.account_id "
        "and t.created_on between c.triggered_on - 13 and c.triggered_on "
        "where c.source_kind = 'ticket' and t.ticket_id is null",
    )
    assert unmatched == []
    # the record chosen is the latest qualifying one
    not_latest = query(
        serving,
        "select c.cta_id from marts.fct_cta_candidates as c "
        "join marts.fct_nps_responses as chosen on c.source_id = chosen.response_id "
        "join marts.fct_nps_responses as other on other.account_id = c.account_id "
        "and other.score <= 6 and other.responded_on between c.triggered_on - 13 and c.triggered_on "
        "and other.responded_at > chosen.responded_at "
        "where c.source_kind = 'nps_response'",
    )
    assert not_latest == []
    state_ids = query(
        serving,
        "select count(*) from marts.fct_cta_candidates "
        "where source_kind like '%_state' and source_id is not null",
    )
    assert state_ids == [(0,)]


@pytest.mark.slow
def test_a_warehouse_built_before_the_new_columns_keeps_running(
    tmp_path: Path, tmp_path_factory, tiny_zone: Path
) -> None:
    """The CTA ledger is kept, never rebuilt: on a warehouse whose ledger predates
    source_kind / source_id, the next daily run adds them, null in the old rows, filled in
    the CTAs it raises; fct_usage_weekly gains its new columns on every week; a health
    history stored without a column its model now documents (fct_health_metrics'
    value_effect / weight_effect) is rebuilt whole, so every row has them."""
    published = published_tiny(tmp_path_factory, tiny_zone)
    env = clone_root(published, tmp_path)
    warehouse = Path(env["CSWH_WAREHOUSE"])
    con = duckdb.connect(str(warehouse))
    try:
        (ledger,) = con.execute(
            "select table_schema from information_schema.tables where table_name = 'int_cta_ledger'"
        ).fetchone()
        for column in ("source_kind", "source_id"):
            con.execute(f"alter table {ledger}.int_cta_ledger drop column {column}")
        for column in ("segment", "days_in_week", "is_partial_week", "_built_at"):
            con.execute(f"alter table marts.fct_usage_weekly drop column {column}")
        for column in ("value_effect", "weight_effect"):
            con.execute(f"alter table marts.fct_health_metrics drop column {column}")
        (old,) = con.execute(f"select count(*) from {ledger}.int_cta_ledger").fetchone()
        (d,) = con.execute("select max(as_of_date) from dq.publish_log").fetchone()
    finally:
        con.close()

    result = run_cswh("run", "--as-of", (d + timedelta(days=1)).isoformat(), env=env, timeout=1200)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]

    serving = Path(env["CSWH_SERVING"])
    rows = query(
        serving,
        "select raised_as_of = ? as is_new, count(*), count(source_kind) "
        "from marts.fct_cta_candidates group by 1 order by 1",
        [d + timedelta(days=1)],
    )
    by_age = {is_new: (n, with_source) for is_new, n, with_source in rows}
    assert by_age[False] == (old, 0)  # what raised an old CTA is not guessed afterwards
    if True in by_age:
        assert by_age[True][0] == by_age[True][1]
    (weeks, with_days, with_built) = query(
        serving,
        "select count(*), count(days_in_week), count(_built_at) from marts.fct_usage_weekly",
    )[0]
    assert weeks == with_days == with_built > 0
    (with_reference, with_effects) = query(
        serving,
        "select count(contribution_change_28d), count(value_effect) from marts.fct_health_metrics",
    )[0]
    assert with_effects == with_reference > 0
