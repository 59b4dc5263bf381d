"""Account 360: where does this account stand, why is its score what it is, what happened lately?"""

from __future__ import annotations

import altair as alt
import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

HEALTH_COLOUR = "#222222"
# Dimension lines take these in the seed's order (the dimensions themselves are the seed's).
DIMENSION_COLOURS = ["#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756", "#72b7b2"]
# (title, candidate tables in order of preference, date columns to sort by, newest first)
RECENT = [
    ("Touches / 接触履歴", ["marts.fct_activities", "staging.stg_crm__activities"], ["occurred_at", "occurred_on"]),
    ("Tickets / 問い合わせ", ["marts.fct_tickets", "staging.stg_support__tickets"], ["created_at", "created_on", "updated_at"]),
    ("NPS answers / NPS 回答", ["marts.fct_nps_responses", "staging.stg_nps__responses"], ["responded_at", "responded_on"]),
    ("Seminar attendance / セミナー参加", ["marts.fct_seminar_attendance", "staging.stg_seminars__registrations"], ["held_at", "held_on", "registered_at"]),
]  # fmt: skip
RECENT_ROWS = 20
# The code columns of the recent-activity tables, shown as their Japanese labels.
RECENT_CODES = {
    "activity_type": "activity_type",
    "priority": "ticket_priority",
    "status": "ticket_status",
    "channel": "ticket_channel",
    "satisfaction": "ticket_satisfaction",
    "nps_category": "nps_category",
    "segment": "segment",
}
METRIC_CODES = {"metric": "health_metric", "dimension": "health_dimension"}
SEMINAR_CODES = RECENT_CODES | {"category": "seminar_category"}
TICKET_CODES = RECENT_CODES | {"category": "ticket_category"}

st.title("Account 360: where does this account stand, and why?")
kit.guard(__file__)

accounts = data.query(
    "select account_id, account_name, segment, is_active_customer from marts.dim_accounts"
    " order by is_active_customer desc, account_name, account_id"
)
if accounts.empty:
    st.info("No accounts in the serving copy.")
    st.stop()
names = dict(zip(accounts["account_id"], accounts["account_name"], strict=True))
only_active = st.sidebar.toggle("Active customers only / 契約中のみ", value=True, key="a360_active")
ids = (
    list(accounts.loc[accounts["is_active_customer"].fillna(False).astype(bool), "account_id"])
    if only_active
    else []
)
wanted = st.query_params.get("account")
if not ids or (wanted in names and wanted not in ids):  # a link to an inactive account
    ids = list(accounts["account_id"])
account_id = st.sidebar.selectbox(
    "Account / 顧客",
    ids,
    index=ids.index(wanted) if wanted in ids else 0,
    format_func=lambda a: f"{names.get(a) or a} ({a})",
    key="a360_account",
)
st.query_params["account"] = account_id

acc = data.query("select * from marts.dim_accounts where account_id = ?", (account_id,)).iloc[0]
st.header(f"{acc.get('account_name') or account_id}")
st.caption(
    " · ".join(
        str(x)
        for x in (account_id, acc.get("industry"), acc.get("region"), acc.get("csm_owner"))
        if not kit.is_missing(x)
    )
)

health = pd.DataFrame()
if kit.has("marts.fct_account_health"):
    health = data.query(
        "select * from marts.fct_account_health where account_id = ? order by snapshot_date",
        (account_id,),
    )
latest = health.iloc[-1] if not health.empty else None

tier = latest["health_tier"] if latest is not None else None
if tier is not None:
    tiers = kit.tier_palette([tier]).set_index("tier")
    colour = tiers["colour"][tier]
    label_ja = (
        latest["health_tier_ja"]
        if not kit.is_missing(latest["health_tier_ja"])
        else tiers["label_ja"].get(tier, tier)
    )
    st.markdown(
        f'<span style="background:{colour};color:white;padding:0.2em 0.6em;border-radius:0.4em">'
        f"{label_ja} ({tier})</span> &nbsp; segment "
        f"**{data.label('segment', acc.get('segment'), with_code=True)}** · "
        f"renewal **{str(acc.get('contract_end') or '–')[:10]}** · "
        f"lifecycle **{data.label('lifecycle_stage', acc.get('lifecycle_stage'), with_code=True)}**",
        unsafe_allow_html=True,
    )
c = st.columns(4)
c[0].metric("Health score / ヘルス", kit.num(latest["health_score"], 1) if latest is not None else "–",
            delta=kit.delta(latest["health_score"], latest["health_score"] - latest["health_score_change_28d"], "score")
            if latest is not None and not kit.is_missing(latest["health_score_change_28d"]) else None,
            help="change over 28 days", border=True)  # fmt: skip
c[1].metric("Days to renewal / 更新まで", kit.num(acc.get("days_to_renewal")),
            help=f"contract ends {str(acc.get('contract_end') or '–')[:10]}", border=True)  # fmt: skip
c[2].metric("ARR / 年間契約額", kit.yen(acc.get("arr_jpy")), border=True)
c[3].metric("Adoption stage / 活用段階", f"{kit.num(acc.get('adoption_stage'))} / 5", border=True)

contract = {
    "contract_id": acc.get("contract_id"),
    "contract_start": acc.get("contract_start"),
    "contract_end": acc.get("contract_end"),
    "days_to_renewal": acc.get("days_to_renewal"),
    "seats": acc.get("seats"),
    "annual_quota": acc.get("annual_quota"),
    "arr_jpy": kit.yen(acc.get("arr_jpy")),
    "customer_since": acc.get("customer_since"),
    "csm_owner": acc.get("csm_owner"),
    "employee_count": acc.get("employee_count"),
}
st.dataframe(
    pd.DataFrame(
        [
            {
                k: (
                    "–"
                    if kit.is_missing(v)
                    else str(v)[:10]
                    if k.endswith(("start", "end", "since"))
                    else v
                )
                for k, v in contract.items()
            }
        ]
    ),
    hide_index=True,
)

if health.empty:
    st.info("No health snapshots for this account (not an active customer in the snapshot window).")
else:
    st.subheader("Health history")
    # <dimension>_score columns of seed health_dimensions, labelled as the seed labels them
    dimensions = [(col, lbl) for col, lbl in data.health_dimensions() if col in health.columns]
    scores = ["health_score"] + [col for col, _ in dimensions]
    palette = [HEALTH_COLOUR] + [
        DIMENSION_COLOURS[i % len(DIMENSION_COLOURS)] for i in range(len(dimensions))
    ]
    long = health.melt(
        id_vars=["snapshot_date", *[c for c in [kit.PROVISIONAL] if c in health.columns]],
        value_vars=scores,
        var_name="score",
    )
    st.altair_chart(
        kit.history_chart(
            long,
            "snapshot_date",
            "value",
            "score",
            "score (0-100)",
            series="score",
            color=alt.Color(
                "score:N",
                title=None,
                scale=alt.Scale(domain=scores, range=palette),
            ),
            y_scale=alt.Scale(domain=[0, 100]),
            strokeWidth=alt.condition(
                "datum.score == 'health_score'", alt.value(3), alt.value(1.2)
            ),
        ),
        width="stretch",
    )
    kit.provisional_caption(health)

    flag = latest.get(kit.PROVISIONAL)
    is_provisional = not kit.is_missing(flag) and bool(flag)
    st.subheader(
        f"Why this score? (snapshot {pd.Timestamp(latest['snapshot_date']).date()}"
        + (", provisional)" if is_provisional else ")")
    )
    dims = pd.DataFrame(
        [(lbl, latest[col]) for col, lbl in dimensions], columns=["dimension", "score"]
    )
    left, right = st.columns([1, 2])
    with left:
        st.markdown("**DEAR breakdown**")
        st.altair_chart(
            alt.Chart(dims)
            .mark_bar()
            .encode(
                y=alt.Y("dimension:N", title=None, sort=None),
                x=alt.X("score:Q", scale=alt.Scale(domain=[0, 100])),
                tooltip=["dimension:N", alt.Tooltip("score:Q", format=".1f")],
            )
            .properties(height=180),
            width="stretch",
        )
    with right:
        if kit.has("marts.fct_health_metrics"):
            metrics = data.query(
                "select dimension, metric, value, score, weight, contribution, score_change_28d"
                " from marts.fct_health_metrics where account_id = ? and snapshot_date = ?"
                " order by contribution desc",
                (account_id, latest["snapshot_date"]),
            )
            st.markdown(
                f"**Metric contributions** — points each metric adds to the score "
                f"(sum {kit.num(metrics['contribution'].sum(), 1)})"
            )
            st.altair_chart(
                alt.Chart(kit.labelled(metrics, METRIC_CODES))
                .mark_bar()
                .encode(
                    y=alt.Y("metric:N", title=None, sort="-x"),
                    x=alt.X("contribution:Q", title="points"),
                    color=alt.Color("dimension:N"),
                    tooltip=[
                        "dimension:N",
                        "metric:N",
                        alt.Tooltip("value:Q", format=".3f"),
                        alt.Tooltip("score:Q", format=".1f"),
                        alt.Tooltip("weight:Q", format=".3f"),
                        alt.Tooltip("contribution:Q", format=".2f"),
                    ],
                )  # fmt: skip
                .properties(height=max(160, 22 * len(metrics))),
                width="stretch",
            )
            kit.table(
                metrics,
                f"health_metrics_{account_id}.csv",
                labels=METRIC_CODES,
            )
        else:
            st.info("`marts.fct_health_metrics` is not in the serving copy yet.")

st.subheader("Recent activity")
tabs = st.tabs([title for title, _, _ in RECENT])
for tab, (_title, candidates, date_cols) in zip(tabs, RECENT, strict=True):
    with tab:
        source = next((t for t in candidates if kit.has(t)), None)
        if source is None:
            st.info(f"None of {', '.join(candidates)} is in the serving copy.")
            continue
        cols = data.columns(source)
        if "account_id" not in cols:
            st.info(f"`{source}` has no account_id column.")
            continue
        sort = next((c for c in date_cols if c in cols), None)
        sql = f"select * from {data.ident(source, data.tables())} where account_id = ?"
        if sort:
            sql += f" order by {data.ident(sort, cols)} desc nulls last"
        recent = data.query(sql + f" limit {RECENT_ROWS}", (account_id,))
        st.caption(f"Latest {RECENT_ROWS} from `{source}`: {len(recent)} shown")
        codes = TICKET_CODES if "ticket" in source else SEMINAR_CODES
        kit.table(recent, f"{source.split('.')[-1]}_{account_id}.csv", labels=codes)

st.subheader("Calls to action")
if kit.has("marts.fct_cta_candidates"):
    ctas = data.query(
        "select c.triggered_on, c.cta_type, c.direction, c.priority, c.status, c.reason,"
        " c.owner_role, c.owner, c.due_on, c.cta_id"
        " from marts.fct_cta_candidates c where c.account_id = ?"
        " order by c.status = 'open' desc, c.triggered_on desc",
        (account_id,),
    )
    st.caption(f"{(ctas['status'] == 'open').sum()} open of {len(ctas)} raised")
    kit.table(ctas, f"ctas_{account_id}.csv", labels=kit.CTA_CODES)
else:
    st.info("`marts.fct_cta_candidates` is not in the serving copy yet.")
kit.caption_source("marts.dim_accounts", "marts.fct_account_health", "marts.fct_health_metrics")
