"""CTA queue: which calls to action should I work on now, and what should I do?"""

from __future__ import annotations

import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

from dagster_project import app_store

PRIORITY_ORDER = {"high": 0, "medium": 1, "low": 2}
OUTCOME_LABELS = {
    "contacted": "contacted / 連絡済み",
    "no_response": "no response / 反応なし",
    "won": "won / 成約",
    "lost": "lost / 失注",
    "dismissed": "dismissed / 対応不要",
    "snoozed": "snoozed / 保留",
}

st.title("Which calls to action should I work on now?")
st.caption(
    "Open CTAs, highest priority first, then the earliest due date; with the playbook's action."
)
kit.require_serving()
kit.require_tables("marts.fct_cta_candidates")

joins, extra = "", ""
if kit.has("marts.dim_accounts"):
    joins += " left join marts.dim_accounts a on a.account_id = c.account_id"
    extra += ", a.account_name, a.segment"
if kit.has("marts.dim_playbooks"):
    joins += " left join marts.dim_playbooks p on p.playbook_id = c.playbook_id"
    extra += ", p.channel, p.action"
ctas = data.query(
    "select c.cta_id, c.account_id, c.cta_type, c.direction, c.priority, c.owner_role, c.owner,"
    f" c.triggered_on, c.due_on, c.reason, c.metric_value, c.threshold, c.playbook_id, c.status{extra}"
    f" from marts.fct_cta_candidates c{joins} where c.status = ?",
    ("open",),
)
if "segment" not in ctas.columns:
    ctas["segment"] = None
ctas["_prio"] = ctas["priority"].map(PRIORITY_ORDER).fillna(9)
ctas = ctas.sort_values(["_prio", "due_on", "triggered_on", "cta_id"]).drop(columns="_prio")

st.sidebar.markdown("**Filters / 絞り込み**")
filters = [
    ("Owner role / 担当ロール", "owner_role"),
    ("Owner / 担当者", "owner"),
    ("CTA type / 種類", "cta_type"),
    ("Direction / 攻め・守り", "direction"),
    ("Segment / セグメント", "segment"),
    ("Priority / 優先度", "priority"),
]
shown = ctas
for lbl, col in filters:
    chosen = kit.sidebar_multiselect(lbl, ctas, col, f"cta_{col}")
    shown = kit.apply_filter(shown, col, chosen)

as_of = data.as_of_date()
overdue = (pd.to_datetime(shown["due_on"]) < pd.Timestamp(as_of)).sum() if as_of else 0
c = st.columns(4)
c[0].metric("Open CTAs / 未対応", kit.num(len(shown)), border=True)
c[1].metric("High priority / 優先度高", kit.num((shown["priority"] == "high").sum()), border=True)
c[2].metric(f"Overdue at {as_of} / 期限超過", kit.num(overdue), border=True)
c[3].metric(
    "Offense · defense / 攻め・守り",
    f"{(shown['direction'] == 'offense').sum()} · {(shown['direction'] == 'defense').sum()}",
    border=True,
)

columns = ["priority", "due_on", "account_name", "segment", "cta_type", "direction", "reason",
           "action", "channel", "owner_role", "owner", "triggered_on", "account_id", "cta_id"]  # fmt: skip
kit.table(
    shown,
    "cta_queue.csv",
    columns,
    account_link=True,
    column_config={
        "reason": st.column_config.TextColumn("reason", width="large"),
        "action": st.column_config.TextColumn("playbook action", width="large"),
    },
)

st.subheader("Record an outcome / 対応結果を記録")
store = data.app_db_path()
if shown.empty:
    st.info("No open CTA matches the filters.")
else:
    labels = {
        r.cta_id: f"[{r.priority}] {r.account_name if not kit.is_missing(r.account_name) else r.account_id} — {r.cta_type} — {str(r.triggered_on)[:10]}"
        for r in shown.assign(
            account_name=shown.get("account_name", shown["account_id"])
        ).itertuples()
    }
    with st.form("record_outcome", clear_on_submit=True):
        cta_id = st.selectbox("CTA", list(labels), format_func=labels.get, key="outcome_cta")
        outcome = st.radio(
            "Outcome / 結果",
            list(OUTCOME_LABELS),
            format_func=OUTCOME_LABELS.get,
            horizontal=True,
            key="outcome_value",
        )
        note = st.text_area("Note / メモ", key="outcome_note", max_chars=2000)
        recorded_by = st.text_input("Recorded by / 記録者", key="outcome_by")
        submitted = st.form_submit_button("Record / 記録する", type="primary")
    if submitted:
        try:
            saved = app_store.record_outcome(cta_id, outcome, recorded_by, note, path=store)
        except ValueError as exc:
            st.error(f"Not recorded: {exc}")
        else:
            st.success(
                f"Recorded **{saved.outcome}** for {labels[saved.cta_id]} at {saved.recorded_at:%Y-%m-%d %H:%M:%S} JST "
                "by " + saved.recorded_by + ". The CTA's status changes at the next pipeline run."
            )

pub = data.publication()
since = None
if not kit.is_missing(pub.published_at):  # publish_log is UTC; the store is Japan time
    since = (pd.Timestamp(pub.published_at) + pd.Timedelta(hours=9)).to_pydatetime()
pending = app_store.list_outcomes(store, since=since) if store.exists() else []
with st.expander(
    f"Outcomes recorded since the last publish ({len(pending)}) — applied at the next run"
):
    if pending:
        kit.table(
            pd.DataFrame([o.__dict__ for o in pending]).sort_values("recorded_at", ascending=False),
            "cta_outcomes_pending.csv",
        )
    else:
        st.caption(f"None yet. Store: `{store}`")
kit.caption_source("marts.fct_cta_candidates", "marts.dim_playbooks", "marts.dim_accounts")
