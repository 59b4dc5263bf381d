"""Playbooks and rules: what does each CTA rule check, and does it predict anything?"""

from __future__ import annotations

import altair as alt
import page_kit as kit
import serving_data as data
import streamlit as st

st.title("What does each CTA rule check, and does it work?")
st.caption(
    "The rules (thresholds, cooldowns), the playbook that routes each CTA, and the backtest: "
    "how often a rule fired and how often those accounts churned or expanded within 180 days."
)
kit.guard(__file__)

eff = data.query("select * from marts.mart_cta_effectiveness order by cta_type")
rules = (
    data.query("select * from seeds.cta_rules order by cta_type")
    if kit.has("seeds.cta_rules")
    else None
)
books = (
    data.query("select * from marts.dim_playbooks order by cta_type, segment")
    if kit.has("marts.dim_playbooks")
    else None
)

types = sorted(set(eff["cta_type"]) | (set(rules["cta_type"]) if rules is not None else set()))
directions = sorted(set(rules["direction"])) if rules is not None and "direction" in rules else []
chosen_dir = st.sidebar.multiselect(
    "Direction / 攻め・守り",
    directions,
    key="pb_direction",
    placeholder="すべて / all",
    format_func=lambda d: data.label("cta_direction", d, with_code=True),
)
if chosen_dir and rules is not None:
    types = [
        t for t in types if t in set(rules.loc[rules["direction"].isin(chosen_dir), "cta_type"])
    ]
chosen = st.sidebar.multiselect(
    "CTA type / 種類",
    types,
    key="pb_type",
    placeholder="すべて / all",
    format_func=lambda t: data.label("cta_type", t, with_code=True),
)
types = chosen or types
eff = eff[eff["cta_type"].isin(types)]

raised, actioned, won = (eff[c].sum() for c in ("raised", "actioned", "won"))
c = st.columns(4)
c[0].metric("Rules / ルール", kit.num(len(types)), border=True)
c[1].metric("CTAs raised / 発生", kit.num(raised), border=True)
c[2].metric("Actioned / 対応済み", kit.num(actioned), border=True)
c[3].metric(
    "Conversion (won / actioned) / 成約率",
    kit.pct(won / actioned if actioned else None),
    border=True,
)

st.subheader("Backtest: what happened to the accounts after a CTA (within 180 days)")
long = eff.melt(
    id_vars="cta_type", value_vars=["churn_rate_180d", "expansion_rate_180d"], var_name="outcome"
)
st.altair_chart(
    alt.Chart(kit.labelled(long, {"cta_type": "cta_type"}))
    .mark_bar()
    .encode(
        y=alt.Y("cta_type:N", title=None),
        x=alt.X("value:Q", title="share of accounts", axis=alt.Axis(format="%")),
        yOffset="outcome:N",
        color=alt.Color(
            "outcome:N",
            title=None,
            scale=alt.Scale(
                domain=["churn_rate_180d", "expansion_rate_180d"], range=["#d73027", "#1a9850"]
            ),
        ),
        tooltip=["cta_type:N", "outcome:N", alt.Tooltip("value:Q", format=".1%")],
    )
    .properties(height=max(200, 36 * len(eff))),
    width="stretch",
)
if {"baseline_churn_rate_180d", "baseline_expansion_rate_180d"} <= set(
    eff.columns
) and not eff.empty:
    st.markdown(
        f"Baseline (any active account, same window): churn **{kit.pct(eff['baseline_churn_rate_180d'].iloc[0])}**, "
        f"expansion **{kit.pct(eff['baseline_expansion_rate_180d'].iloc[0])}**."
    )
st.caption(
    "A defense rule earns its place when its accounts churn more than average; an offense rule "
    "when they expand more. A rule that predicts nothing shows flat bars here."
)
kit.table(eff, "cta_effectiveness.csv", labels=kit.CTA_CODES)

st.subheader("Rules / ルール")
if rules is None:
    st.info("`seeds.cta_rules` is not in the serving copy.")
else:
    kit.table(rules[rules["cta_type"].isin(types)], "cta_rules.csv", labels=kit.CTA_CODES)

st.subheader("Playbooks / プレイブック")
if books is None:
    st.info("`marts.dim_playbooks` is not in the serving copy.")
else:
    segs = st.sidebar.multiselect(
        "Segment / セグメント",
        sorted(books["segment"].dropna().unique()),
        key="pb_segment",
        placeholder="すべて / all",
        format_func=lambda s: data.label("segment", s, with_code=True),
    )
    shown = books[books["cta_type"].isin(types)]
    if segs:
        shown = shown[shown["segment"].isin(segs)]
    kit.table(
        shown,
        "playbooks.csv",
        labels=kit.CTA_CODES,
        column_config={"action": st.column_config.TextColumn(width="large")},
    )
kit.caption_source("seeds.cta_rules", "marts.dim_playbooks", "marts.mart_cta_effectiveness")
