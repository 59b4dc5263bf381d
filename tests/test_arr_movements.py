"""Revenue retention (marts.mart_arr_movements) on a real `cswh run` of the tiny zone: the
identity and the month-to-month continuity hold on every row, the month-end ARR agrees with
an account-by-account recomputation from the published contracts and amendments, the quality
gate checked the mart, and the Overview page shows the mart's NRR and GRR."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from tests.dashboard_support import open_page
from tests.support import query

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path):
    from tests.support import published_tiny

    return published_tiny(tmp_path_factory, tiny_zone)


def _frame(db: Path, sql: str) -> pd.DataFrame:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_identity_and_continuity_hold_on_every_row(published) -> None:
    serving = published.serving
    (rows,) = query(serving, "select count(*) from marts.mart_arr_movements")[0]
    assert rows > 0
    broken = query(
        serving,
        "select month, segment from marts.mart_arr_movements"
        " where arr_start + arr_new + arr_expansion - arr_contraction - arr_churn"
        " + arr_reactivation <> arr_end",
    )
    assert broken == []
    gaps = query(
        serving,
        "select segment, month from (select segment, month, arr_end, lead(arr_start)"
        " over (partition by segment order by month) as next_start"
        " from marts.mart_arr_movements) where next_start <> arr_end",
    )
    assert gaps == []
    # every month of the KPI calendar, every segment, and something actually moved
    (kpi_rows,) = query(serving, "select count(*) from marts.mart_kpi_monthly")[0]
    assert rows == kpi_rows
    (moved,) = query(
        serving,
        "select sum(arr_new) > 0 and sum(arr_churn) > 0 and sum(arr_expansion) > 0"
        " from marts.mart_arr_movements where segment = 'all'",
    )[0]
    assert moved


def _arr_on(day: date, contracts: pd.DataFrame, amendments: pd.DataFrame) -> pd.Series:
    """Each account's ARR on ``day``, written out again from the rule: the active contract
    (latest start, then larger id) with its amendments up to the day; else a renewed contract
    whose renewal has not started yet keeps its ARR at its end; else nothing."""
    ts = pd.Timestamp(day)
    active = contracts[(contracts.start_date <= ts) & (contracts.end_date >= ts)]
    active = active.sort_values(["start_date", "contract_id"]).groupby("account_id").tail(1)
    done = amendments[amendments.event_date <= ts].groupby("contract_id")["arr_change"].sum()
    arr = active.set_index("account_id")["contract_id"].map(
        lambda c: contracts.loc[contracts.contract_id == c, "arr_jpy"].iloc[0] + done.get(c, 0)
    )
    gap = contracts[
        contracts.is_renewed
        & (contracts.end_date < ts)
        & (contracts.next_start_date.isna() | (contracts.next_start_date > ts))
        & ~contracts.account_id.isin(arr.index)
    ]
    gap = gap.sort_values(["start_date", "contract_id"]).groupby("account_id").tail(1)
    return pd.concat([arr, gap.set_index("account_id")["arr_jpy_at_end"]])


def test_month_end_arr_agrees_with_the_contracts(published) -> None:
    serving = published.serving
    contracts = _frame(
        serving,
        "select contract_id, account_id, start_date, end_date, arr_jpy, arr_jpy_at_end,"
        " is_renewed, next_start_date from marts.dim_contracts",
    )
    for col in ("start_date", "end_date", "next_start_date"):
        contracts[col] = pd.to_datetime(contracts[col])
    amendments = _frame(
        serving,
        "select contract_id, event_date, arr_change from marts.fct_account_events"
        " where event_type in ('expansion', 'contraction')",
    )
    amendments["event_date"] = pd.to_datetime(amendments["event_date"])
    (as_of,) = query(serving, "select max(as_of_date) from marts.dim_contracts")[0]
    mart = _frame(
        serving,
        "select month, arr_end, arr_start_ttm from marts.mart_arr_movements"
        " where segment = 'all' order by month",
    )
    checked = 0
    for month, arr_end, arr_start_ttm in mart.itertuples(index=False):
        month = pd.Timestamp(month).date()
        nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        month_end = min(nxt - timedelta(days=1), as_of)
        assert int(_arr_on(month_end, contracts, amendments).sum()) == arr_end, month
        year_earlier = date(month.year - 1, month.month, 1)
        nxt_earlier = (year_earlier.replace(day=28) + timedelta(days=4)).replace(day=1)
        assert (
            int(_arr_on(nxt_earlier - timedelta(days=1), contracts, amendments).sum())
            == arr_start_ttm
        ), month
        checked += 1
    assert checked >= 12


def test_segments_add_up_to_all(published) -> None:
    bad = query(
        published.serving,
        "select month from marts.mart_arr_movements group by month having"
        " sum(case when segment = 'all' then arr_end else 0 end)"
        " < sum(case when segment <> 'all' then arr_end else 0 end)"
        " or sum(case when segment = 'all' then arr_churn else 0 end)"
        " < sum(case when segment <> 'all' then arr_churn else 0 end)",
    )
    assert bad == []


def test_the_quality_gate_checked_the_mart(published) -> None:
    rows = query(
        published.serving,
        "select expectation, success from dq.check_results"
        " where table_name = 'marts.mart_arr_movements'",
    )
    names = {name for name, _ in rows}
    assert {"unexpected_rows:arr_identity", "unexpected_rows:segment_in_seed_segments"} <= names
    assert all(ok for _, ok in rows), rows


def _metric(at, label_start: str) -> str:
    hits = [m.value for m in at.metric if m.label.startswith(label_start)]
    assert hits, f"no metric {label_start!r} in {[m.label for m in at.metric]}"
    return hits[0]


def _pct(value) -> str:
    return "–" if value is None else f"{100 * float(value):.1f}%"


def test_overview_shows_nrr_and_grr_of_the_mart(published, monkeypatch, tmp_path) -> None:
    serving = published.serving
    monkeypatch.setenv("CSWH_SERVING", str(serving))
    monkeypatch.setenv("CSWH_APP_DB", str(tmp_path / "app.sqlite"))
    monkeypatch.setenv("CSWH_DOCS_DIR", str(tmp_path / "docs"))
    from tests.dashboard_support import current_kpi_month

    month = current_kpi_month(serving)
    figures = {
        segment: (nrr, grr, nrr_ttm, grr_ttm)
        for segment, nrr, grr, nrr_ttm, grr_ttm in query(
            serving,
            "select segment, nrr, grr, nrr_ttm, grr_ttm from marts.mart_arr_movements"
            " where month = ?",
            [month],
        )
    }
    at = open_page("overview")
    labels = ("NRR (month)", "GRR (month)", "NRR (TTM)", "GRR (TTM)")
    assert [_metric(at, label) for label in labels] == [_pct(v) for v in figures["all"]]
    assert any(figures["all"]), "the tiny zone has ARR to retain"
    other = next(s for s in figures if s != "all" and figures[s] != figures["all"])
    at.selectbox(key="overview_segment").set_value(other).run()
    assert not at.exception
    assert [_metric(at, label) for label in labels] == [_pct(v) for v in figures[other]]
    # another month in the sidebar: that month's figures
    earlier = query(
        serving,
        "select month, nrr_ttm from marts.mart_arr_movements where segment = ?"
        " and month < ? and nrr_ttm is not null order by month desc limit 1",
        [other, month],
    )
    if earlier:
        (when, nrr_ttm) = earlier[0]
        at.selectbox(key="overview_arr_month").set_value(pd.Timestamp(when)).run()
        assert not at.exception
        assert _metric(at, "NRR (TTM)") == _pct(nrr_ttm)
