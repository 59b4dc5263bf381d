"""Health: how healthy are our accounts, and who moved between tiers in the last 28 days?

Tiers are shown as people act on them (the effective tier: a CS override's while one
applies) with the computed tier beside it; overrides expiring soon are listed per CSM."""

from __future__ import annotations

import altair as alt
import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

st.title("How healthy are our accounts, and who moved?")
st.caption(
    "Tier distribution by segment at the latest snapshot; tier movement over the last 28 days. "
    "Effective tier = a CS override's tier while one applies, else the computed tier."
)
kit.guard(__file__)

latest = data.scalar("select max(snapshot_date) from marts.fct_account_health")
if kit.is_missing(latest):
    st.info("No health snapshots in the serving copy yet.")
    st.stop()
latest = pd.Timestamp(latest).date()
# a serving copy published before overrides (section 11) has no effective columns: the
# computed tier is then the effective one
EFFECTIVE = data.has_column("marts.fct_account_health", "effective_health_tier")
effective_columns = (
    "h.effective_health_score, h.effective_health_tier, h.override_score,"
    " h.override_reason, h.override_expires_on"
    if EFFECTIVE
    else "h.health_score as effective_health_score, h.health_tier as effective_health_tier,"
    " null as override_score, null as override_reason, null as override_expires_on"
)
rows = data.query(
    f"""
    select
        h.account_id, a.account_name, h.segment, a.csm_owner,
        h.health_score, h.health_tier, h.health_tier_ja, h.health_score_change_28d,
        h.reference_snapshot_date,
        h.health_tier_28d_ago as tier_28d_ago, h.health_score_28d_ago as score_28d_ago,
        {effective_columns}
    from marts.fct_account_health h
    left join marts.dim_accounts a using (account_id)
    where h.snapshot_date = ?
    """,
    (latest,),
)
# the snapshot the 28-day change refers to (CONTRACT section 3), the same for every account
before = rows["reference_snapshot_date"].dropna().min()
before = None if kit.is_missing(before) else pd.Timestamp(before).date()
SEGMENT = {"segment": "segment"}
tiers = kit.tier_palette(rows["health_tier"])
label = dict(zip(tiers["tier"], tiers["label_ja"], strict=True))
colour = dict(zip(tiers["tier"], tiers["colour"], strict=True))
order = dict(zip(tiers["tier"], tiers["sort_order"], strict=True))

csms = kit.sidebar_multiselect("CSM / 担当", rows, "csm_owner", "health_csm")
segments = kit.sidebar_multiselect(
    "Segment / セグメント", rows, "segment", "health_segment", "segment"
)
rows = kit.apply_filter(kit.apply_filter(rows, "csm_owner", csms), "segment", segments)
rows["tier_label"] = rows["health_tier"].map(lambda t: f"{label.get(t, t)} ({t})")
rows["effective_tier_label"] = rows["effective_health_tier"].map(
    lambda t: f"{label.get(t, t)} ({t})"
)
rows["segment_label"] = data.label_column(rows["segment"], "segment", with_code=True)

provisional = data.has_column("marts.fct_account_health", kit.PROVISIONAL) and bool(
    data.scalar(
        "select bool_or(is_provisional) from marts.fct_account_health where snapshot_date = ?",
        (latest,),
    )
)
st.subheader(f"Snapshot {latest}" + (" (provisional)" if provisional else ""))
if provisional:
    st.caption(
        f"{latest} is not a grid day: a provisional snapshot, replaced by tomorrow's run. "
        "Weekly history keeps the grid days only."
    )
at_risk_tiers = kit.at_risk_tiers(tiers)
# at risk counts the effective tier (the override's while one applies), as at_risk_accounts does
at_risk = rows["effective_health_tier"].isin(at_risk_tiers).sum()
overridden = rows["override_score"].notna().sum()
c1, c2, c3, c4, c5 = st.columns(5)
c1.metric("Accounts / 顧客数", kit.num(len(rows)), border=True)
c2.metric("Average health / 平均ヘルス", kit.num(rows["health_score"].mean(), 1), border=True)
c3.metric(
    "At risk or critical / 要注意",
    kit.num(at_risk),
    border=True,
    help="Effective tier at_risk or critical (an override's tier while one applies).",
)
c5.metric("Overridden / 手動補正中", kit.num(overridden), border=True)
c4.metric(
    "Average change 28d / 28日変化",
    kit.num(rows["health_score_change_28d"].mean(), 1),
    border=True,
)

tier_domain = [f"{label[t]} ({t})" for t in sorted(label, key=lambda t: order[t])]
tier_range = [colour[t] for t in sorted(label, key=lambda t: order[t])]
dist = (
    rows.groupby(["segment_label", "health_tier", "tier_label"], dropna=False)
    .size()
    .reset_index(name="accounts")
)
dist["tier_order"] = dist["health_tier"].map(order)
st.altair_chart(
    alt.Chart(dist)
    .mark_bar()
    .encode(
        y=alt.Y("segment_label:N", title=None),
        x=alt.X("accounts:Q", title="accounts", stack="normalize", axis=alt.Axis(format="%")),
        color=alt.Color(
            "tier_label:N", title="tier", scale=alt.Scale(domain=tier_domain, range=tier_range)
        ),
        order=alt.Order("tier_order:Q"),
        tooltip=[
            alt.Tooltip("segment_label:N", title="segment"),
            alt.Tooltip("tier_label:N", title="tier"),
            "accounts:Q",
        ],
    )
    .properties(height=180, title="Tier distribution by segment (share of accounts)"),
    width="stretch",
)
counts = dist.pivot_table(
    index="segment_label", columns="tier_label", values="accounts", fill_value=0, aggfunc="sum"
).rename_axis(index="segment")
counts = counts[[c for c in tier_domain if c in counts.columns]].reset_index()
kit.table(counts, "health_tiers_by_segment.csv")

st.subheader("Trend / 推移")
trend = data.query(
    "select h.snapshot_date, h.segment, a.csm_owner, count(*) as accounts,"
    " sum(h.health_score) as score_sum, count(h.health_score) as scored,"
    + (
        " sum(h.effective_at_risk) as at_risk,"
        if EFFECTIVE
        else " count(*) filter (where h.health_tier in"
        f" ({', '.join(['?'] * len(at_risk_tiers)) or 'null'})) as at_risk,"
    )
    + (
        " bool_or(h.is_provisional) as is_provisional"
        if data.has_column("marts.fct_account_health", kit.PROVISIONAL)
        else " false as is_provisional"
    )
    + " from marts.fct_account_health h left join marts.dim_accounts a using (account_id)"
    " group by h.snapshot_date, h.segment, a.csm_owner",
    () if EFFECTIVE else at_risk_tiers,
)
trend = kit.apply_filter(kit.apply_filter(trend, "csm_owner", csms), "segment", segments)
trend = trend.groupby("snapshot_date", as_index=False).agg(
    accounts=("accounts", "sum"),
    score_sum=("score_sum", "sum"),
    scored=("scored", "sum"),
    at_risk=("at_risk", "sum"),
    is_provisional=("is_provisional", "any"),
)
trend["avg_health_score"] = trend["score_sum"] / trend["scored"].where(trend["scored"] > 0)
left, right = st.columns(2)
left.altair_chart(
    kit.history_chart(
        trend, "snapshot_date", "avg_health_score", "score", "average health"
    ).properties(title="Average health score / 平均ヘルス"),
    width="stretch",
)
right.altair_chart(
    kit.history_chart(trend, "snapshot_date", "at_risk", "count", "accounts").properties(
        title="At risk or critical / 要注意の顧客数"
    ),
    width="stretch",
)
kit.provisional_caption(trend)

st.subheader(f"Movement between tiers since {before or '–'}")
if kit.is_missing(before):
    st.info("No snapshot 28 days before the latest one yet.")
else:
    moved = rows.dropna(subset=["tier_28d_ago"]).copy()
    moved["from"] = moved["tier_28d_ago"].map(lambda t: f"{label.get(t, t)} ({t})")
    matrix = pd.crosstab(moved["from"], moved["tier_label"]).reindex(
        index=[t for t in tier_domain if t in set(moved["from"])],
        columns=[t for t in tier_domain if t in set(moved["tier_label"])],
        fill_value=0,
    )
    st.caption("Rows: tier 28 days ago · columns: tier now")
    st.dataframe(matrix)
    moved["rank_now"] = moved["health_tier"].map(order)
    moved["rank_before"] = moved["tier_28d_ago"].map(order)
    cols = ["account_id", "account_name", "segment", "csm_owner", "from", "tier_label",
            "effective_tier_label", "score_28d_ago", "health_score",
            "health_score_change_28d"]  # fmt: skip
    known = (moved["health_tier"] != "unknown") & (moved["tier_28d_ago"] != "unknown")
    dropped = moved[known & (moved["rank_now"] > moved["rank_before"])].sort_values(
        "health_score_change_28d"
    )
    jumped = moved[known & (moved["rank_now"] < moved["rank_before"])].sort_values(
        "health_score_change_28d", ascending=False
    )
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Dropped a tier / ダウン: {len(dropped)}**")
        kit.table(dropped, "health_dropped.csv", cols, account_link=True, labels=SEGMENT)
    with right:
        st.markdown(f"**Jumped a tier / アップ: {len(jumped)}**")
        kit.table(jumped, "health_jumped.csv", cols, account_link=True, labels=SEGMENT)

with st.expander("All accounts at the latest snapshot"):
    kit.table(
        rows.sort_values("health_score"),
        "health_latest.csv",
        [
            "account_id",
            "account_name",
            "segment",
            "csm_owner",
            "health_score",
            "tier_label",
            "effective_health_score",
            "effective_tier_label",
            "override_reason",
            "override_expires_on",
            "health_score_change_28d",
        ],
        labels=SEGMENT,
    )

st.subheader("Overrides / 手動補正")
if not kit.has("marts.fct_health_overrides"):
    st.info("This serving copy was published before health overrides: no list of them yet.")
    kit.caption_source("marts.fct_account_health", "marts.dim_accounts", "seeds.health_tiers")
    st.stop()
overrides = data.query(
    """
    select override_id, account_id, account_name, segment, csm_owner, set_by, set_on,
        override_score, override_tier, reason, expires_on, days_to_expiry, status,
        status_sort_order, is_expiring_soon, health_score_at_d, health_tier_at_d
    from marts.fct_health_overrides
    order by expires_on, override_id
    """
)
overrides = kit.apply_filter(kit.apply_filter(overrides, "csm_owner", csms), "segment", segments)
OVERRIDE_LABELS = {
    "segment": "segment",
    "status": "override_status",
    "override_tier": "health_tier",
    "health_tier_at_d": "health_tier",
}
override_cols = ["account_id", "account_name", "segment", "csm_owner", "set_by", "set_on",
                 "override_score", "override_tier", "health_score_at_d", "health_tier_at_d",
                 "reason", "expires_on", "days_to_expiry", "status"]  # fmt: skip
expiring = overrides[overrides["is_expiring_soon"].fillna(False).astype(bool)]
who = ", ".join(csms) if csms else "every CSM"
st.markdown(f"**Expiring within 14 days / 14日以内に期限切れ: {len(expiring)}**")
st.text(f"CSM: {who}")  # names from the data, shown as text (never markdown)
if expiring.empty:
    st.caption("No active override expires within 14 days.")
else:
    kit.table(
        expiring, "health_overrides_expiring.csv", override_cols, account_link=True,
        labels=OVERRIDE_LABELS,
    )  # fmt: skip
with st.expander(f"All overrides, expired ones included ({len(overrides)})"):
    kit.table(
        overrides.sort_values(["status_sort_order", "expires_on"], ascending=[True, False]),
        "health_overrides.csv",
        override_cols,
        account_link=True,
        labels=OVERRIDE_LABELS,
    )
kit.caption_source(
    "marts.fct_account_health",
    "marts.dim_accounts",
    "marts.fct_health_overrides",
    "seeds.health_tiers",
)
