"""Calibration: does the health score predict churn and expansion?"""

from __future__ import annotations

import altair as alt
import page_kit as kit
import serving_data as data
import streamlit as st

st.title("Does the health score predict churn and expansion?")
st.caption(
    "For every snapshot at least 180 days before the as-of date: the share of accounts in each tier "
    "whose contract churned, or that expanded, within the next 180 days."
)
kit.guard(__file__)

cal = data.query("select * from marts.mart_health_calibration")
tiers = kit.tier_palette(cal["health_tier"])
cal = cal.drop(
    columns=[c for c in ("label_ja", "colour", "sort_order", "tier") if c in cal.columns]
)
cal = cal.merge(tiers, left_on="health_tier", right_on="tier", how="left").sort_values("sort_order")
cal["tier_label"] = cal.apply(
    lambda r: (
        f"{r['label_ja'] if not kit.is_missing(r['label_ja']) else r['health_tier']} ({r['health_tier']})"
    ),
    axis=1,
)

hide_unknown = st.sidebar.toggle(
    "Hide the unknown tier / 判定不能を隠す", value=False, key="cal_hide_unknown"
)
if hide_unknown:
    cal = cal[cal["health_tier"] != "unknown"]

scored = cal[cal["snapshots"].fillna(0) > 0]
total = scored["snapshots"].sum()
overall_churn = (scored["churn_rate_180d"] * scored["snapshots"]).sum() / total if total else None
by_tier = scored.set_index("health_tier")
c = st.columns(4)
c[0].metric("Snapshots judged / 判定数", kit.num(total), border=True)
c[1].metric("Churn rate, all tiers / 全体解約率", kit.pct(overall_churn), border=True)
c[2].metric(
    "Churn rate, critical / 対応が必要",
    kit.pct(by_tier["churn_rate_180d"].get("critical")),
    border=True,
)
c[3].metric(
    "Churn rate, excellent / 極めて良好",
    kit.pct(by_tier["churn_rate_180d"].get("excellent")),
    border=True,
)

known = scored[scored["health_tier"] != "unknown"]
if len(known) >= 2:
    rates = list(known["churn_rate_180d"].fillna(0))
    monotone = all(a <= b for a, b in zip(rates, rates[1:], strict=False))
    st.markdown(
        "**Verdict:** churn rises steadily from the best tier to the worst — the score ranks risk."
        if monotone
        else "**Verdict:** churn does not rise steadily from the best tier to the worst — review the weights "
        "and thresholds in `health_metrics` / `health_tiers`."
    )
else:
    st.info("Not enough history yet: no tier has snapshots 180 days before the as-of date.")

domain, colours = list(cal["tier_label"]), list(cal["colour"])
left, right = st.columns(2)
for box, col, title in (
    (left, "churn_rate_180d", "Churned within 180 days / 180日以内の解約率"),
    (right, "expansion_rate_180d", "Expanded within 180 days / 180日以内の拡大率"),
):
    box.altair_chart(
        alt.Chart(cal)
        .mark_bar()
        .encode(
            x=alt.X("tier_label:N", title=None, sort=domain),
            y=alt.Y(f"{col}:Q", title=None, axis=alt.Axis(format="%")),
            color=alt.Color(
                "tier_label:N", scale=alt.Scale(domain=domain, range=colours), legend=None
            ),
            tooltip=["tier_label:N", "snapshots:Q", alt.Tooltip(f"{col}:Q", format=".1%")],
        )
        .properties(height=280, title=title),
        width="stretch",
    )
kit.table(
    cal,
    "health_calibration.csv",
    ["health_tier", "label_ja", "snapshots", "churn_rate_180d", "expansion_rate_180d"],
)
kit.caption_source("marts.mart_health_calibration", "seeds.health_tiers")
