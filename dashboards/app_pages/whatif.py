"""What-if: what would a change of thresholds do to tiers, calibration and CTAs?

Shows the latest comparison `cswh whatif` wrote ($CSWH_WHATIF_DIR/latest.duckdb, read-only,
briefly, cached under the file's version like the serving copy); today's tiers from the
serving copy while no comparison exists yet.
"""

from __future__ import annotations

import os

import altair as alt
import duckdb
import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

from dagster_project.whatif.build import result_path

st.title("What would a threshold change do to tiers and CTAs?")
st.caption(
    "`cswh whatif` rebuilds the health score and the CTA ledger on a scratch copy of the warehouse "
    "with changed seed values, and compares them with today's: tiers at the as-of date, calibration, "
    "CTAs per rule and week, and the accounts that would change tier. The warehouse and this serving "
    "copy are not touched. / しきい値を変えた場合の影響 (試算)"
)
kit.guard(__file__)

TABLES = ("whatif_run", "whatif_changes", "tier_distribution", "calibration", "ctas_by_rule",
          "ctas_by_week", "tier_changes")  # fmt: skip
TIER_CODES = {"health_tier": "health_tier", "health_tier_now": "health_tier",
              "health_tier_proposed": "health_tier", "segment": "segment"}  # fmt: skip


@st.cache_data(show_spinner=False, max_entries=8)
def _load(path: str, version: tuple) -> dict[str, pd.DataFrame]:
    del version  # part of the cache key only
    con = duckdb.connect(path, read_only=True)
    try:
        return {t: con.execute(f"select * from {t}").fetchdf() for t in TABLES}
    finally:
        con.close()


def comparison() -> dict[str, pd.DataFrame] | None:
    path = result_path()
    try:
        st_ = os.stat(path)
    except FileNotFoundError:
        return None
    try:
        return _load(str(path), (st_.st_ino, st_.st_mtime_ns, st_.st_size))
    except duckdb.Error:
        return None


def tier_label(code) -> str:
    return data.label("health_tier", code, with_code=True)


SIDES = ("now / 現在", "proposed / 変更後")
SIDE_COLOUR = alt.Color(
    "side:N", title=None, scale=alt.Scale(domain=list(SIDES), range=["#9e9e9e", "#3f51b5"])
)


def side_bars(df: pd.DataFrame, value: str, title: str, kind: str, fmt: str) -> alt.Chart:
    """Bars per tier (Japanese label, best first), now and proposed side by side, from the
    columns ``<value>_now`` and ``<value>_proposed``."""
    long = df.melt(
        id_vars=["health_tier"], value_vars=[f"{value}_now", f"{value}_proposed"],
        var_name="side", value_name=value,
    ).dropna(subset=[value])  # fmt: skip
    long["side"] = long["side"].map({f"{value}_now": SIDES[0], f"{value}_proposed": SIDES[1]})
    long["tier"] = long["health_tier"].map(tier_label)
    order = [tier_label(t) for t in df["health_tier"]]
    return (
        alt.Chart(long, usermeta=kit.SVG)
        .mark_bar()
        .encode(
            x=alt.X("tier:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=240)),
            xOffset=alt.XOffset("side:N", sort=list(SIDES)),
            y=alt.Y(f"{value}:Q", title=title, axis=kit.axis(kind)),
            color=SIDE_COLOUR,
            tooltip=["tier:N", "side:N", alt.Tooltip(f"{value}:Q", format=fmt)],
        )
        .properties(height=250)
    )


found = comparison()
if found is None:
    today = data.query(
        "select health_tier, count(*) as accounts from marts.fct_account_health "
        "where snapshot_date = (select max(snapshot_date) from marts.fct_account_health) "
        "group by health_tier"
    )
    tiers = kit.tier_palette(today["health_tier"])
    today = tiers[["tier", "sort_order"]].merge(
        today, left_on="tier", right_on="health_tier", how="left"
    )
    today = today.assign(health_tier=today["tier"], accounts=today["accounts"].fillna(0))
    c = st.columns(4)
    c[0].metric("Accounts at D / 対象アカウント", kit.num(today["accounts"].sum()), border=True)
    c[1].metric("Would change tier / ティア変動", "–", border=True)
    c[2].metric("Down a tier / 悪化", "–", border=True)
    c[3].metric("Up a tier / 改善", "–", border=True)
    st.info(
        f"No comparison yet at `{result_path()}`. Try a change from the repository root, e.g.\n\n"
        "```\ncswh whatif --set health_tiers.healthy.min_score=65\n"
        "cswh whatif --set health_metrics.wau_rate.green_at=0.7\n```\n"
        "or `cswh whatif --seeds DIR` with CSV files named like `dbt/seeds/*.csv`. The page shows "
        "the latest comparison as soon as it is written. Today's tiers:",
        icon=":material/science:",
    )
    kit.table(
        today.sort_values("sort_order"),
        "tiers_today.csv",
        ["health_tier", "accounts"],
        labels={"health_tier": "health_tier"},
    )
    kit.caption_source("marts.fct_account_health")
    st.stop()

run = found["whatif_run"].iloc[0]
changes = found["whatif_changes"]
published_d = data.as_of_date()
when = pd.Timestamp(run["computed_at"])
st.markdown(
    f"Comparison of **{when:%Y-%m-%d %H:%M} UTC** at D = **{pd.Timestamp(run['as_of_date']).date()}**"
    f" · asked: `{run['requested']}`"
)
if published_d is not None and pd.Timestamp(run["as_of_date"]).date() != published_d:
    st.info(
        f"This comparison was made at D = {pd.Timestamp(run['as_of_date']).date()}; the serving copy "
        f"is now at {published_d}. Run `cswh whatif` again for today's figures.",
        icon=":material/history:",
    )

c = st.columns(4)
c[0].metric("Accounts at D / 対象アカウント", kit.num(run["accounts"]), border=True)
c[1].metric("Would change tier / ティア変動", kit.num(run["accounts_changing_tier"]), border=True)
c[2].metric("Down a tier / 悪化", kit.num(run["accounts_down"]), border=True)
c[3].metric("Up a tier / 改善", kit.num(run["accounts_up"]), border=True)

st.subheader("Changed seed values / 変更した設定値")
if changes.empty:
    st.caption("No value differs from today's seeds: both sides should agree.")
else:
    kit.table(changes, "whatif_changes.csv")

# -- tiers ---------------------------------------------------------------------------------------
st.subheader("Tiers at D: now and proposed / ティア分布")
dist = found["tier_distribution"].sort_values("sort_order")
st.altair_chart(side_bars(dist, "accounts", "accounts", "count", ",.0f"), width="stretch")
kit.table(
    dist,
    "whatif_tiers.csv",
    ["health_tier", "accounts_now", "accounts_proposed", "accounts_change", "share_now",
     "share_proposed"],
    labels={"health_tier": "health_tier"},
)  # fmt: skip

# -- calibration ---------------------------------------------------------------------------------
st.subheader("Calibration: churn and expansion within 180 days / キャリブレーション")
cal = found["calibration"].sort_values("sort_order")
st.altair_chart(
    side_bars(cal, "churn_rate_180d", "churned within 180 days", "ratio", ".1%"), width="stretch"
)
kit.table(
    cal,
    "whatif_calibration.csv",
    ["health_tier", "snapshots_now", "snapshots_proposed", "churn_rate_180d_now",
     "churn_rate_180d_proposed", "expansion_rate_180d_now", "expansion_rate_180d_proposed"],
    labels={"health_tier": "health_tier"},
)  # fmt: skip

# -- CTAs ----------------------------------------------------------------------------------------
st.subheader("CTAs raised per rule and week / ルール別・週別のCTA")
by_rule = found["ctas_by_rule"]
rules = st.sidebar.multiselect(
    "CTA rule / ルール",
    list(by_rule["cta_type"]),
    key="whatif_rules",
    placeholder="すべて / all",
    format_func=lambda v: data.label("cta_type", v, with_code=True),
)
weeks = found["ctas_by_week"]
if rules:
    weeks = weeks[weeks["cta_type"].isin(rules)]
per_week = weeks.groupby("week_start", as_index=False)[["ctas_now", "ctas_proposed"]].sum()
lines = per_week.melt(id_vars=["week_start"], var_name="side", value_name="ctas")
lines["side"] = lines["side"].map({"ctas_now": SIDES[0], "ctas_proposed": SIDES[1]})
st.altair_chart(
    alt.Chart(lines, usermeta=kit.SVG)
    .mark_line()
    .encode(
        x=alt.X("week_start:T", title=None, axis=alt.Axis(format="%Y-%m")),
        y=alt.Y("ctas:Q", title="CTAs raised per week", axis=kit.axis("count")),
        color=SIDE_COLOUR,
        tooltip=[alt.Tooltip("week_start:T", title="week"), "side:N", "ctas:Q"],
    )
    .properties(height=240),
    width="stretch",
)
kit.table(
    by_rule if not rules else by_rule[by_rule["cta_type"].isin(rules)],
    "whatif_ctas_by_rule.csv",
    labels={"cta_type": "cta_type"},
)

# -- accounts ------------------------------------------------------------------------------------
st.subheader("Accounts that would change tier / ティアが変わるアカウント")
moves = found["tier_changes"]
segments = kit.sidebar_multiselect(
    "Segment / セグメント", moves, "segment", "whatif_segment", "segment"
)
moves = kit.apply_filter(moves, "segment", segments)
if moves.empty:
    st.caption("No account changes tier at D.")
kit.table(
    moves,
    "whatif_tier_changes.csv",
    ["account_id", "account_name", "segment", "csm_owner", "health_score_now",
     "health_score_proposed", "health_tier_now", "health_tier_proposed", "tier_move"],
    account_link=True,
    labels=TIER_CODES,
    column_config={
        "health_score_now": st.column_config.NumberColumn(format="%.1f"),
        "health_score_proposed": st.column_config.NumberColumn(format="%.1f"),
    },
)  # fmt: skip
st.caption(f"Source: `{result_path()}` (`cswh whatif`), labels from the serving copy.")
