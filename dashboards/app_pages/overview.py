"""Overview (KPI): how are we doing this month, against last month and the fiscal-year start?"""

from __future__ import annotations

import altair as alt
import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

KPIS = [
    # column, label, kind (num | pct | score | nps), higher is better
    ("active_customers", "Active customers / 契約中顧客", "num", True),
    ("renewal_rate", "Renewal rate / 更新率", "pct", True),
    (
        "health_change_since_period_start",
        "Health change since FY start / 期初比ヘルス",
        "pct",
        True,
    ),
    ("at_risk_accounts", "At-risk accounts / 要注意顧客", "num", False),
    ("reaction_rate", "Reaction rate / 反応率", "pct", True),
    ("nps", "NPS", "score", True),
    ("ctas_raised", "CTAs raised / CTA 発生", "num", True),
    ("ctas_won", "CTAs won / CTA 成約", "num", True),
]

st.title("How are we doing this month?")
kit.guard(__file__)

segments = data.query("select distinct segment from marts.mart_kpi_monthly order by segment")
seg_options = ["all"] + [s for s in segments["segment"] if s != "all"]
segment = st.sidebar.selectbox(
    "Segment / セグメント",
    seg_options,
    key="overview_segment",
    format_func=lambda s: data.label("segment", s, with_code=True),
)

kpi = data.query(
    "select * from marts.mart_kpi_monthly where segment = ? order by month",
    (segment,),
)
if kpi.empty:
    st.info(f"No KPI rows for segment `{segment}`.")
    st.stop()
kpi["month"] = pd.to_datetime(kpi["month"].astype(str).str[:10])
as_of = data.as_of_date()
current = kpi[kpi["month"] <= pd.Timestamp(as_of)] if as_of else kpi
this_month = (current if not current.empty else kpi)["month"].max()
last_month = this_month - pd.offsets.MonthBegin(1)
# The fiscal year is the one the KPIs were computed with (dbt var fiscal_year_start_month),
# carried by the mart itself; an older copy without the column has no FY comparison.
fy_starts = (
    kpi.loc[kpi["month"] == this_month, "fiscal_year_start"] if "fiscal_year_start" in kpi else []
)
fy_start = (
    pd.Timestamp(fy_starts.iloc[0])
    if len(fy_starts) and not kit.is_missing(fy_starts.iloc[0])
    else None
)
if fy_start is not None:
    st.caption(f"This month against last month and the start of the fiscal year ({fy_start:%B}).")
else:
    st.warning(
        f"The serving copy at `{data.serving_path()}` does not hold "
        "`marts.mart_kpi_monthly.fiscal_year_start`: no comparison with the fiscal-year start. "
        "Publish again with `cswh run`.",
        icon=":material/table_view:",
    )


def row(month: pd.Timestamp) -> pd.Series | None:
    hit = kpi[kpi["month"] == month]
    return None if hit.empty else hit.iloc[0]


now, prev = row(this_month), row(last_month)
start = row(fy_start) if fy_start is not None else None
fy_label = f"{fy_start:%Y-%m}" if fy_start is not None else "–"


def show(value, kind: str) -> str:
    if kind == "pct":
        return kit.pct(value)
    if kind == "score":
        return kit.num(value, 1)
    return kit.num(value)


st.subheader(f"{this_month:%Y-%m} · {data.label('segment', segment, with_code=True)}")
cols = st.columns(4)
for i, (col, label, kind, good_up) in enumerate(KPIS):
    if col not in kpi.columns:
        continue
    value = now[col] if now is not None else None
    before = prev[col] if prev is not None else None
    with cols[i % 4]:
        change = kit.delta(
            value, before, "pct" if kind == "pct" else ("score" if kind == "score" else "num")
        )
        st.metric(
            label,
            show(value, kind),
            delta=change,
            delta_color="off" if change == "±0" else ("normal" if good_up else "inverse"),
            delta_arrow="off" if change == "±0" else "auto",
            help=f"vs last month ({last_month:%Y-%m}); FY start {fy_label}: "
            + show(start[col] if start is not None else None, kind),
            border=True,
            delta_description="vs last month",
        )

compare = pd.DataFrame(
    {
        "KPI": [label for _, label, _, _ in KPIS],
        f"this month ({this_month:%Y-%m})": [
            show(now[c] if now is not None else None, k) for c, _, k, _ in KPIS
        ],
        f"last month ({last_month:%Y-%m})": [
            show(prev[c] if prev is not None else None, k) for c, _, k, _ in KPIS
        ],
        f"FY start ({fy_label})": [
            show(start[c] if start is not None else None, k) for c, _, k, _ in KPIS
        ],
    }
)
st.dataframe(compare, hide_index=True)

# --- revenue retention (marts.mart_arr_movements) ----------------------------------------------
RETENTION = [
    # column, label
    ("nrr", "NRR (month) / 純継続率"),
    ("grr", "GRR (month) / 総継続率"),
    ("nrr_ttm", "NRR (TTM) / 年間純継続率"),
    ("grr_ttm", "GRR (TTM) / 年間総継続率"),
]
# the waterfall's steps: column, label, sign (0 = a level drawn from zero)
STEPS = [
    ("arr_start", "期首ARR", 0),
    ("arr_new", "新規", 1),
    ("arr_expansion", "拡大", 1),
    ("arr_reactivation", "再開", 1),
    ("arr_contraction", "縮小", -1),
    ("arr_churn", "解約", -1),
    ("arr_end", "期末ARR", 0),
]


def waterfall(movements: pd.DataFrame) -> alt.FacetChart:
    """One waterfall per segment, two a row: start, the movements up and down, end (yen).
    The y axis fits each segment's ARR and does not start at zero, so monthly movements of a
    few percent stay visible."""
    bars = []
    for _, r in movements.iterrows():
        levels, level = [], 0.0
        for col, _, sign in STEPS:
            level = float(r[col]) if sign == 0 else level + sign * float(r[col])
            levels.append(level)
        # the start and end bars rise from a baseline below the lowest level, so the
        # movements (a few percent of ARR) are visible; the axis says where it starts
        spread = max(levels) - min(levels)
        base = max(0.0, min(levels) - (spread if spread else 0.1 * min(levels)))
        level = 0.0
        for order, (col, label, sign) in enumerate(STEPS):
            amount = float(r[col])
            low, high = (base, amount) if sign == 0 else sorted((level, level + sign * amount))
            level = amount if sign == 0 else level + sign * amount
            kind = "ARR" if sign == 0 else ("増加" if sign > 0 else "減少")
            bars.append(
                {
                    "segment": data.label("segment", r["segment"]),
                    "step": label,
                    "order": order,
                    "low": low,
                    "high": high,
                    "amount": amount,
                    "kind": kind,
                }
            )
    steps = [label for _, label, _ in STEPS]
    panels = list(dict.fromkeys(bar["segment"] for bar in bars))  # in the rows' order
    return (
        alt.Chart(pd.DataFrame(bars))
        .mark_bar()
        .encode(
            x=alt.X("step:N", title=None, sort=steps, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("low:Q", title="ARR (¥)", axis=kit.axis("count"), scale=alt.Scale(zero=False)),
            y2="high:Q",
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=["ARR", "増加", "減少"], range=["#607d8b", "#2e7d32", "#c62828"]
                ),
            ),
            tooltip=[
                "segment:N",
                "step:N",
                alt.Tooltip("amount:Q", format=",.0f", title="¥"),
            ],
        )
        .properties(height=220, width=320)
        .facet(facet=alt.Facet("segment:N", title=None, sort=panels), columns=2)
        .resolve_scale(y="independent")
        .properties(usermeta=kit.SVG)
    )


st.subheader("Revenue retention / 売上継続率")
if not kit.has("marts.mart_arr_movements"):
    st.info(
        f"The serving copy at `{data.serving_path()}` does not hold `marts.mart_arr_movements`"
        " yet: publish again with `cswh run` to see NRR and GRR."
    )
else:
    arr = data.query("select * from marts.mart_arr_movements order by month, segment")
    arr["month"] = pd.to_datetime(arr["month"].astype(str).str[:10])
    arr_months = sorted({pd.Timestamp(m) for m in arr["month"]}, reverse=True)
    arr_month = st.sidebar.selectbox(
        "ARR month / ARR 対象月",
        arr_months,
        index=arr_months.index(this_month) if this_month in arr_months else 0,
        key="overview_arr_month",
        format_func=lambda m: f"{pd.Timestamp(m):%Y-%m}",
    )
    arr_month = pd.Timestamp(arr_month)
    mine = arr[arr["segment"] == segment]
    chosen = mine[mine["month"] == arr_month]
    before = mine[mine["month"] == arr_month - pd.offsets.MonthBegin(1)]
    st.caption(
        f"{arr_month:%Y-%m}: ARR at the month's end against the previous month's end (month)"
        " and the same month's end a year earlier (TTM). NRR counts expansion; GRR does not."
    )
    cols = st.columns(4)
    for i, (col, label) in enumerate(RETENTION):
        value = chosen[col].iloc[0] if not chosen.empty else None
        prior = before[col].iloc[0] if not before.empty else None
        change = kit.delta(value, prior, "pct")
        with cols[i]:
            st.metric(
                label,
                kit.pct(value),
                delta=change,
                delta_color="off" if change == "±0" else "normal",
                delta_arrow="off" if change == "±0" else "auto",
                help="vs the month before; – when there was no ARR to retain",
                border=True,
            )
    shown = arr[arr["month"] == arr_month]
    shown = shown if segment == "all" else shown[shown["segment"] == segment]
    order = {s: i for i, s in enumerate(seg_options)}
    shown = shown.sort_values("segment", key=lambda c: c.map(order))
    st.altair_chart(waterfall(shown), width="content")
    left, right = st.columns(2)
    left.altair_chart(
        kit.trend_chart(mine, "month", "nrr_ttm", "ratio", "NRR (TTM)"), width="stretch"
    )
    right.altair_chart(
        kit.trend_chart(mine, "month", "grr_ttm", "ratio", "GRR (TTM)"), width="stretch"
    )
    with st.expander("ARR movements table / ARR推移"):
        kit.table(
            mine.assign(month=mine["month"].dt.strftime("%Y-%m")), f"arr_movements_{segment}.csv"
        )

st.subheader("Monthly trend")
trend_cols = [
    # column, title, kind of number (page_kit.AXIS_FORMAT)
    ("active_customers", "Active customers", "count"),
    ("at_risk_accounts", "At-risk accounts", "count"),
    ("renewal_rate", "Renewal rate", "ratio"),
    ("reaction_rate", "Reaction rate", "ratio"),
    ("nps", "NPS", "score"),
    ("avg_health_score", "Average health score", "score"),
]
trend_cols = [t for t in trend_cols if t[0] in kpi.columns]
# Null months are unknown (before the health history or the first reaction): no point there.
starts = [
    f"{title.lower()} from {kpi.loc[kpi[col].notna(), 'month'].min():%Y-%m}"
    for col, title, _ in trend_cols
    if col in ("at_risk_accounts", "avg_health_score", "reaction_rate")
    and kpi[col].notna().any()
    and pd.isna(kpi[col].iloc[0])
]
if starts:
    st.caption("No point where the data cannot tell yet: " + "; ".join(starts) + ".")
left, right = st.columns(2)
for i, (col, title, kind) in enumerate(trend_cols):
    (left if i % 2 == 0 else right).altair_chart(
        kit.trend_chart(kpi, "month", col, kind, title), width="stretch"
    )

if {"ctas_raised", "ctas_won"} <= set(kpi.columns):
    ctas = kpi.melt(id_vars="month", value_vars=["ctas_raised", "ctas_won"], var_name="series")
    st.altair_chart(
        alt.Chart(ctas)
        .mark_bar()
        .encode(
            x=alt.X("month:T", title=None, axis=alt.Axis(format="%Y-%m")),
            y=alt.Y("value:Q", title="CTAs", axis=kit.axis("count")),
            xOffset="series:N",
            color=alt.Color("series:N", title=None),
            tooltip=[alt.Tooltip("month:T", format="%Y-%m"), "series:N", "value:Q"],
        )
        .properties(height=240, title="CTAs raised and won (by month raised)", usermeta=kit.SVG),
        width="stretch",
    )

with st.expander("Monthly KPI table"):
    shown = kpi.assign(month=kpi["month"].dt.strftime("%Y-%m"))
    kit.table(shown, f"kpi_monthly_{segment}.csv")
kit.caption_source(
    "marts.mart_kpi_monthly",
    *(["marts.mart_arr_movements"] if kit.has("marts.mart_arr_movements") else []),
)
