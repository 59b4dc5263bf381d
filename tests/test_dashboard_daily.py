"""The pages after daily runs (issue 12): unknown KPI months, the provisional current snapshot,
the CTA ledger's age and raising run, orphaned outcomes and the seed version per publication.

Run headless with AppTest on three copies: the one `cswh run` publishes on the tiny zone (real
marts; what it does not publish yet is skipped with that reason), the hand-made copy of
dashboards/devdata.py (which has every new column and table), and that copy with them taken
away, as an older serving copy would be.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dagster_project import app_store
from dagster_project.seeds import read_seed
from tests.dashboard_support import (
    BEFORE_DAILY,
    columns_of,
    dev_serving,
    layer_data,
    layers,
    mark,
    modified_copy,
    open_page,
    published_serving,
    query,
    tables,
    vega_charts,
)

PROVISIONAL_NOTE = "(provisional: replaced by tomorrow's run)"
COUNTS = {"active_customers", "at_risk_accounts"}
RATIOS = {"renewal_rate", "reaction_rate"}
SCORES = {"nps", "avg_health_score"}


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory, tiny_zone: Path) -> dict[str, Path]:
    dev = dev_serving(tmp_path_factory)
    older = tmp_path_factory.mktemp("before-daily")
    return {
        "pipeline": published_serving(tmp_path_factory, tiny_zone),
        "dev": dev,
        "older": modified_copy(dev, older / "serving.duckdb", *BEFORE_DAILY),
        "on_grid": modified_copy(  # D is a grid day: nothing is provisional
            dev,
            older / "on-grid.duckdb",
            "update marts.fct_account_health set is_provisional = false",
        ),
    }


@pytest.fixture
def app_db(tmp_path: Path) -> Path:
    return tmp_path / "app.sqlite"


@pytest.fixture
def use(copies, app_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point the app at one of the copies; returns its path."""
    monkeypatch.setenv("CSWH_APP_DB", str(app_db))
    monkeypatch.setenv("CSWH_DOCS_DIR", str(tmp_path / "docs"))

    def _use(name: str) -> Path:
        monkeypatch.setenv("CSWH_SERVING", str(copies[name]))
        return copies[name]

    return _use


def metric(at: AppTest, label_start: str) -> str:
    hits = [m.value for m in at.metric if m.label.startswith(label_start)]
    assert hits, f"no metric {label_start!r} in {[m.label for m in at.metric]}"
    return hits[0]


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


def as_of(serving: Path) -> date:
    (d,) = query(
        serving,
        "select coalesce((select max(as_of_date) from dq.publish_log),"
        " (select max(snapshot_date) from marts.fct_account_health))",
    )[0]
    return d


def need(serving: Path, table: str, column: str | None = None) -> None:
    if table not in tables(serving) or (column and column not in columns_of(serving, table)):
        pytest.skip(f"this copy does not publish {table}{'.' + column if column else ''} yet")


def trend_charts(at: AppTest) -> dict[str, tuple[dict, pd.DataFrame]]:
    """The Overview's monthly trend charts by the KPI column they plot."""
    found = {}
    for spec, datasets in vega_charts(at):
        for layer in layers(spec):
            field = layer.get("encoding", {}).get("y", {}).get("field")
            if field in COUNTS | RATIOS | SCORES:
                found[field] = (layer, layer_data(spec, layer, datasets))
    return found


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


# --- Overview: no point where the KPI is unknown; plain axis labels -----------------------------


@pytest.mark.parametrize("copy", ["pipeline", "dev"])
def test_overview_draws_no_point_for_months_the_data_cannot_tell(use, copy) -> None:
    serving = use(copy)
    need(serving, "marts.mart_kpi_monthly")
    kpi = pd.DataFrame(
        query(
            serving,
            "select month, at_risk_accounts, avg_health_score, reaction_rate"
            " from marts.mart_kpi_monthly where segment = 'all' order by month",
        ),
        columns=["month", "at_risk_accounts", "avg_health_score", "reaction_rate"],
    )
    for col in ("at_risk_accounts", "reaction_rate"):
        assert kpi[col].isna().any() and kpi[col].notna().any(), f"{col}: unknown months first"
    at = open_page("overview")
    charts = trend_charts(at)
    for col in ("at_risk_accounts", "reaction_rate", "avg_health_score"):
        _layer, data = charts[col]
        known = kpi.loc[kpi[col].notna(), "month"]
        plotted = pd.to_datetime(data["month"]).dt.date
        assert data[col].notna().all(), f"{col}: a null handed to the chart"
        assert sorted(plotted) == sorted(pd.to_datetime(known).dt.date), col
        # and nothing drawn at 0 where the mart said null
        assert plotted.min() == pd.to_datetime(known).dt.date.min()
    first = pd.to_datetime(kpi.loc[kpi["at_risk_accounts"].notna(), "month"].min())
    assert any(f"at-risk accounts from {first:%Y-%m}" in c for c in captions(at))


def test_overview_axes_read_as_plain_numbers_and_percentages(use) -> None:
    use("dev")  # about a thousand customers: four-digit counts
    at = open_page("overview")
    charts = trend_charts(at)
    assert set(charts) == COUNTS | RATIOS | SCORES
    for field, (layer, _data) in charts.items():
        fmt = layer["encoding"]["y"]["axis"]["format"]
        # d3 formats: a type of f (fixed, decimals from the tick step) or % keeps 800 as "800"
        # and 0.12 as "12%"; the empty type of a bare "," falls back to "8e+2".
        if field in RATIOS:
            assert fmt.endswith("%"), (field, fmt)
        else:
            assert fmt.startswith(",") and fmt[-1] in "fd", (field, fmt)
    bars = [
        layer
        for spec, _ in vega_charts(at)
        for layer in layers(spec)
        if mark(layer)["type"] == "bar"
    ]
    assert bars and bars[0]["encoding"]["y"]["axis"]["format"][-1] in "fd"


# --- the provisional current snapshot on history charts ----------------------------------------


def provisional_marks(at: AppTest) -> list[tuple[dict, list, list, list]]:
    """Per chart over snapshot dates: its spec and the data of its hollow-point, dashed-line
    and solid-line layers."""
    found = []
    for spec, datasets in vega_charts(at):
        hollow = [
            layer_data(spec, lay, datasets)
            for lay in layers(spec)
            if mark(lay)["type"] == "point" and mark(lay).get("filled") is False
        ]
        dashed = [
            layer_data(spec, lay, datasets)
            for lay in layers(spec)
            if mark(lay)["type"] == "line" and mark(lay).get("strokeDash")
        ]
        solid = [
            layer_data(spec, lay, datasets)
            for lay in layers(spec)
            if mark(lay)["type"] == "line" and not mark(lay).get("strokeDash")
        ]
        if any(
            lay.get("encoding", {}).get("x", {}).get("field") == "snapshot_date"
            for lay in layers(spec)
        ):
            found.append((spec, hollow, dashed, solid))
    return found


def dates(df: pd.DataFrame) -> set[date]:
    return set(pd.to_datetime(df["snapshot_date"]).dt.date)


def provisional_copy(use, copy: str) -> tuple[Path, date]:
    serving = use(copy)
    need(serving, "marts.fct_account_health", "is_provisional")
    rows = query(
        serving, "select distinct snapshot_date from marts.fct_account_health where is_provisional"
    )
    if not rows:
        pytest.skip("D of this copy is a grid day: nothing provisional")
    ((d,),) = rows
    return serving, d


@pytest.mark.parametrize("copy", ["pipeline", "dev"])
def test_health_trends_mark_the_provisional_snapshot(use, copy) -> None:
    serving, d = provisional_copy(use, copy)
    at = open_page("health")
    charts = provisional_marks(at)
    assert len(charts) >= 2, "average health and at-risk trends"
    for _spec, hollow, dashed, solid in charts:
        assert [dates(h) for h in hollow] == [{d}], "one hollow point, at D"
        assert len(dashed) == 1 and max(dates(dashed[0])) == d and len(dates(dashed[0])) == 2
        assert d not in dates(solid[0]), "the solid line ends at the last grid day"
    assert any(f"{d} {PROVISIONAL_NOTE}" in c for c in captions(at))
    assert "(provisional)" in at.subheader[0].value


@pytest.mark.parametrize("copy", ["pipeline", "dev"])
def test_account_360_history_marks_the_provisional_snapshot(use, copy) -> None:
    serving, d = provisional_copy(use, copy)
    scores = ["health_score", "deployment_score", "engagement_score", "adoption_score", "roi_score"]
    account_id, *values = query(
        serving,
        f"select account_id, {', '.join(scores)} from marts.fct_account_health"
        " where is_provisional order by account_id limit 1",
    )[0]
    at = open_page("account")
    at.selectbox(key="a360_account").set_value(account_id).run()
    assert not at.exception
    (spec, hollow, dashed, solid), *_ = provisional_marks(at)
    assert len(hollow) == 1 and dates(hollow[0]) == {d}
    # every score with a value at D is hollow there: health_score and each dimension
    assert set(hollow[0]["score"]) == {
        c for c, v in zip(scores, values, strict=True) if v is not None
    }
    assert dates(dashed[0]) == {d, max(dates(solid[0]))} and d not in dates(solid[0])
    assert any(f"{d} {PROVISIONAL_NOTE}" in c for c in captions(at))
    assert any("provisional" in s.value for s in at.subheader)


@pytest.mark.parametrize("copy", ["older", "on_grid"])
@pytest.mark.parametrize("page", ["health", "account"])
def test_history_without_a_provisional_snapshot_has_no_marker(use, copy, page) -> None:
    use(copy)
    at = open_page(page)
    charts = provisional_marks(at)
    assert charts, "the history charts are drawn"
    assert all(not hollow and not dashed for _s, hollow, dashed, _solid in charts)
    assert not any(PROVISIONAL_NOTE in c for c in captions(at))
    assert not any("provisional" in s.value for s in at.subheader)


# --- CTA queue: every status, each CTA's age and the run that raised it ------------------------


def _code(shown: str) -> str:
    """The code of a value shown as "label (code)" (optionally followed by " · count")."""
    return shown.split(" · ")[0].rsplit("(", 1)[-1].rstrip(")")


def queue(at: AppTest) -> pd.DataFrame:
    (df,) = [d.value for d in at.dataframe if "cta_id" in d.value.columns]
    return df


@pytest.mark.parametrize("copy", ["pipeline", "dev"])
def test_cta_queue_filters_by_each_status_of_the_ledger(use, copy) -> None:
    serving = use(copy)
    need(serving, "marts.fct_cta_candidates")
    counts = dict(
        query(serving, "select status, count(*) from marts.fct_cta_candidates group by 1")
    )
    if copy == "dev":
        assert set(counts) == {"open", "done", "dismissed", "expired", "snoozed", "resolved"}
    at = open_page("ctas")
    status = at.multiselect(key="cta_status")
    # every status the mart holds is offered, as "未対応 (open) · 12": its Japanese label from
    # marts.dim_code_labels, the code, and its count (options are the shown labels)
    shown = {_code(o): o for o in status.options}
    assert sorted(shown) == sorted(counts)
    assert all(o.endswith(f" · {counts[s]:,}") for s, o in shown.items())
    assert shown["open"].startswith("未対応 (open)")
    assert status.value == ["open"], "the queue opens on what needs work"
    assert as_int(metric(at, "CTAs shown")) == counts["open"]
    for s, n in counts.items():
        at.multiselect(key="cta_status").set_value([s]).run()
        assert not at.exception, s
        assert as_int(metric(at, "CTAs shown")) == n, s
        assert set(queue(at)["status"].map(_code)) == {s}
    at.multiselect(key="cta_status").set_value([]).run()  # none chosen = all
    assert as_int(metric(at, "CTAs shown")) == sum(counts.values())


@pytest.mark.parametrize("copy", ["pipeline", "dev"])
def test_cta_queue_shows_age_and_the_run_that_raised_it(use, copy) -> None:
    serving = use(copy)
    need(serving, "marts.fct_cta_candidates", "raised_in_run_id")
    d = as_of(serving)
    expected = {
        cta_id: ((d - triggered).days, run_id, raised)
        for cta_id, triggered, run_id, raised in query(
            serving,
            "select cta_id, triggered_on, raised_in_run_id, raised_as_of"
            " from marts.fct_cta_candidates where status = 'open'",
        )
    }
    assert expected
    at = open_page("ctas")
    shown = queue(at)
    got = {
        r.cta_id: (r.age_days, r.raised_in_run_id, pd.Timestamp(r.raised_as_of).date())
        for r in shown.itertuples()
    }
    assert got == expected
    assert any(f"D = {d}" in c for c in captions(at)), "ages are counted to D, named"


def test_cta_queue_of_an_older_copy_says_what_it_lacks(use) -> None:
    serving = use("older")
    at = open_page("ctas")
    assert any("raised_in_run_id" in i.value for i in at.info)
    shown = queue(at)
    assert "raised_in_run_id" not in shown.columns and "age_days" in shown.columns
    assert (
        as_int(metric(at, "CTAs shown"))
        == query(serving, "select count(*) from marts.fct_cta_candidates where status = 'open'")[0][
            0
        ]
    )


def test_outcome_for_a_snoozed_cta_is_recorded(use, app_db) -> None:
    serving = use("dev")
    snoozed = {
        r[0]
        for r in query(
            serving, "select cta_id from marts.fct_cta_candidates where status = 'snoozed'"
        )
    }
    at = open_page("ctas")
    at.multiselect(key="cta_status").set_value(["snoozed"]).run()
    cta_id = at.selectbox(key="outcome_cta").value
    assert cta_id in snoozed
    at.radio(key="outcome_value").set_value("contacted")
    next(b for b in at.button if b.label.startswith("Record")).click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    rows = app_store.read_outcomes(app_db).to_pylist()
    assert [(r["cta_id"], r["outcome"]) for r in rows] == [(cta_id, "contacted")]


def _record(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label.startswith("Record")).click().run()


@pytest.mark.parametrize("outcome", ["lost", "dismissed"])
def test_a_closing_outcome_offers_its_reasons_and_needs_one(use, app_db, outcome) -> None:
    use("dev")
    reasons = [r["reason_code"] for r in read_seed("close_reasons") if r["outcome"] == outcome]
    at = open_page("ctas")
    assert not [s for s in at.selectbox if s.key == "outcome_reason"], "no reason for open"
    at.radio(key="outcome_value").set_value(outcome).run()
    reason = at.selectbox(key="outcome_reason")
    # the seed's reasons for this outcome only, in its order, by their Japanese labels
    assert [_code(o) for o in reason.options] == reasons
    assert all(o.split(" (")[0] != code for o, code in zip(reason.options, reasons, strict=True))
    assert reason.value is None, "no reason is chosen for the user"
    _record(at)
    assert not at.success and any("reason_code: required" in e.value for e in at.error)
    assert app_store.read_outcomes(app_db).num_rows == 0, "nothing is written on error"
    cta_id = at.selectbox(key="outcome_cta").value
    at.selectbox(key="outcome_reason").set_value(reasons[-1])
    _record(at)
    assert not at.exception and at.success, [e.value for e in at.error]
    rows = app_store.read_outcomes(app_db).to_pylist()
    assert [(r["cta_id"], r["outcome"], r["reason_code"]) for r in rows] == [
        (cta_id, outcome, reasons[-1])
    ]


def test_a_snooze_defaults_to_14_days_and_keeps_its_date(use, app_db) -> None:
    use("dev")
    at = open_page("ctas")
    at.radio(key="outcome_value").set_value("snoozed").run()
    assert not [s for s in at.selectbox if s.key == "outcome_reason"]
    today = app_store.now_jst().date()
    until = at.date_input(key="outcome_snooze_until")
    assert until.value == today + timedelta(days=14)
    cta_id = at.selectbox(key="outcome_cta").value
    at.date_input(key="outcome_snooze_until").set_value(today + timedelta(days=30))
    _record(at)
    assert not at.exception and at.success, [e.value for e in at.error]
    rows = app_store.read_outcomes(app_db).to_pylist()
    assert [(r["cta_id"], r["outcome"], r["snooze_until"]) for r in rows] == [
        (cta_id, "snoozed", today + timedelta(days=30))
    ]
    # a snooze that ends on or before the day it is recorded is refused, nothing written
    at.radio(key="outcome_value").set_value("snoozed").run()
    at.date_input(key="outcome_snooze_until").set_value(today)
    _record(at)
    assert any("snooze_until: must be after" in e.value for e in at.error)
    assert app_store.read_outcomes(app_db).num_rows == 1


def test_the_queue_shows_the_close_reason_and_the_snooze_end(use) -> None:
    serving = use("dev")
    expected = dict(
        query(
            serving,
            "select cta_id, snooze_until from marts.fct_cta_candidates where status = 'snoozed'",
        )
    )
    assert expected and all(expected.values())
    at = open_page("ctas")
    at.multiselect(key="cta_status").set_value(["snoozed"]).run()
    shown = queue(at)
    assert {r.cta_id: pd.Timestamp(r.snooze_until).date() for r in shown.itertuples()} == expected
    reasons = dict(
        query(
            serving,
            "select cta_id, close_reason_code from marts.fct_cta_candidates"
            " where status = 'dismissed'",
        )
    )
    assert reasons and all(reasons.values())
    at.multiselect(key="cta_status").set_value(["dismissed"]).run()
    shown = queue(at)
    # shown by its Japanese label with the code beside it
    assert {r.cta_id: _code(r.close_reason_code) for r in shown.itertuples()} == reasons


# --- Data quality: orphaned outcomes, seed version per publication -----------------------------


@pytest.mark.parametrize("copy", ["pipeline", "dev"])
def test_data_quality_lists_orphaned_outcomes(use, copy) -> None:
    serving = use(copy)
    need(serving, "dq.orphaned_cta_outcomes")
    rows = query(
        serving,
        "select cta_id, outcome, source_file from dq.orphaned_cta_outcomes"
        " order by recorded_at desc, cta_id",
    )
    at = open_page("data-quality")
    assert as_int(metric(at, "Orphaned outcomes")) == len(rows)
    if rows:
        (table,) = [d.value for d in at.dataframe if "source_file" in d.value.columns]
        assert list(table[["cta_id", "outcome", "source_file"]].itertuples(index=False)) == [
            tuple(r) for r in rows
        ]
        assert any(
            b.proto.id and "orphaned_cta_outcomes.csv" in b.proto.id
            for b in at.get("download_button")
        )


@pytest.mark.parametrize("copy", ["pipeline", "dev"])
def test_data_quality_shows_the_seed_version_of_each_publication(use, copy) -> None:
    serving = use(copy)
    need(serving, "dq.publish_log", "seeds_hash")
    rows = query(
        serving, "select run_id, seeds_hash from dq.publish_log order by published_at desc"
    )
    at = open_page("data-quality")
    (table,) = [d.value for d in at.dataframe if "seeds_hash" in d.value.columns]
    assert list(table[["run_id", "seeds_hash"]].itertuples(index=False)) == [tuple(r) for r in rows]
    latest = rows[0][1]
    assert any(latest[:12] in c.value for c in at.sidebar.caption)


def test_data_quality_of_an_older_copy_says_what_it_lacks(use) -> None:
    use("older")
    at = open_page("data-quality")
    infos = " ".join(i.value for i in at.info)
    assert "dq.orphaned_cta_outcomes" in infos and "seeds_hash" in infos
    assert not [m for m in at.metric if m.label.startswith("Orphaned outcomes")]
    (table,) = [d.value for d in at.dataframe if "as_of_date" in d.value.columns]
    assert "seeds_hash" not in table.columns and len(table) == 2
