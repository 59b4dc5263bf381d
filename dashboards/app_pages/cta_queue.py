"""CTA queue: which calls to action should I work on now, and what should I do?"""

from __future__ import annotations

from datetime import timedelta

import access
import auth
import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

from dagster_project import app_store
from dagster_project.mart_enums import CTA_PRIORITIES, CTA_STATUSES
from dagster_project.seeds import project_var
from dagster_project.sources import CLOSE_REASONS

FORM_CHOICES = 500
PRIORITY_ORDER = {p: i for i, p in enumerate(CTA_PRIORITIES)}
# A snooze ends this many days after the day it is recorded unless the form says otherwise
# (dbt var snooze_days_default: staging fills the same default for files without a date).
SNOOZE_DAYS = int(project_var("snooze_days_default"))
LABELS = {**kit.CTA_CODES, "close_reason_code": "close_reason"}


st.title("Which calls to action should I work on now?")
st.caption(
    "Open CTAs by default (pick other statuses in the sidebar), highest priority first, then the"
    " earliest due date; with the playbook's action and each CTA's age."
)
kit.guard(__file__)
user = auth.signed_in()

TABLE = "marts.fct_cta_candidates"
statuses = data.query(f"select status, count(*) as n from {TABLE} group by status")
counts = dict(zip(statuses["status"], statuses["n"], strict=True))
status_options = [s for s in CTA_STATUSES if s in counts] + sorted(
    s for s in counts if s not in CTA_STATUSES and not kit.is_missing(s)
)
st.sidebar.markdown("**Filters / 絞り込み**")
chosen_status = st.sidebar.multiselect(
    "Status / 状態",
    status_options,
    default=[s for s in ("open",) if s in counts],
    format_func=lambda s: f"{data.label('cta_status', s, with_code=True)} · {counts[s]:,}",
    key="cta_status",
    placeholder="すべて / all",
)

# The ledger's columns (CONTRACT section 10) and the latest outcome's reason and snooze
# (section 11); an older serving copy does not have them.
ledger = [c for c in ("raised_in_run_id", "raised_as_of") if data.has_column(TABLE, c)]
lifecycle = [
    c for c in ("latest_outcome", "close_reason_code", "snooze_until") if data.has_column(TABLE, c)
]
joins, extra = "", "".join(f", c.{c}" for c in ledger + lifecycle)
if kit.has("marts.dim_accounts"):
    joins += " left join marts.dim_accounts a on a.account_id = c.account_id"
    extra += ", a.account_name, a.segment"
if kit.has("marts.dim_playbooks"):
    joins += " left join marts.dim_playbooks p on p.playbook_id = c.playbook_id"
    extra += ", p.channel, p.action"
where = f" where c.status in ({', '.join('?' for _ in chosen_status)})" if chosen_status else ""
ctas = data.query(
    "select c.cta_id, c.account_id, c.cta_type, c.direction, c.priority, c.owner_role, c.owner,"
    f" c.triggered_on, c.due_on, c.reason, c.metric_value, c.threshold, c.playbook_id, c.status{extra}"
    f" from {TABLE} c{joins}{where}",
    tuple(chosen_status),
)
if "segment" not in ctas.columns:
    ctas["segment"] = None
# A csm's queue is their book of business (accounts whose csm_owner is them); the toggle
# shows the others too, read only (the form lists only CTAs they may record).
mine = access.own_accounts(user) if user.role == "csm" else None
if mine is not None and not st.sidebar.toggle(
    "All accounts (read only) / 全顧客 (閲覧のみ)", value=False, key="cta_all_accounts"
):
    ctas = ctas[ctas["account_id"].isin(mine)]
as_of = data.as_of_date()
# Age as of D (the data's date, not today's): how long the signal has been waiting.
ctas["age_days"] = (
    (pd.Timestamp(as_of) - pd.to_datetime(ctas["triggered_on"])).dt.days
    if as_of
    else pd.Series(pd.NA, index=ctas.index, dtype="Int64")
)
ctas["_prio"] = ctas["priority"].map(PRIORITY_ORDER).fillna(9)
ctas = ctas.sort_values(["_prio", "due_on", "triggered_on", "cta_id"]).drop(columns="_prio")

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
    chosen = kit.sidebar_multiselect(lbl, ctas, col, f"cta_{col}", kit.CTA_CODES.get(col))
    shown = kit.apply_filter(shown, col, chosen)

waiting = shown[shown["status"] == "open"]
overdue = (pd.to_datetime(waiting["due_on"]) < pd.Timestamp(as_of)).sum() if as_of else 0
c = st.columns(5)
c[0].metric("CTAs shown / 表示件数", kit.num(len(shown)), border=True)
c[1].metric("High priority / 優先度高", kit.num((shown["priority"] == "high").sum()), border=True)
c[2].metric(
    "Overdue / 期限超過",
    kit.num(overdue),
    help=f"open CTAs shown whose due_on is before D ({as_of})",
    border=True,
)
oldest = waiting["age_days"].max()
c[3].metric(
    "Oldest open / 最長経過",
    "–" if kit.is_missing(oldest) else f"{kit.num(oldest)} days",
    help=f"D ({as_of}) minus triggered_on of the oldest open CTA shown",
    border=True,
)
c[4].metric(
    "Offense · defense / 攻め・守り",
    f"{(shown['direction'] == 'offense').sum()} · {(shown['direction'] == 'defense').sum()}",
    border=True,
)
st.caption(f"Ages and overdue counted to D = {as_of}, the date the data is as of.")
if not ledger:
    st.info(
        "This serving copy was published before the CTA ledger recorded which run raised each "
        "CTA (`raised_in_run_id`, `raised_as_of`); those columns are left out."
    )

columns = ["priority", "status", "age_days", "due_on", "account_name", "segment",
           "cta_type", "direction", "reason", "action", "channel", "owner_role", "owner",
           "latest_outcome", "close_reason_code", "snooze_until",
           "triggered_on", "raised_as_of", "raised_in_run_id", "account_id", "cta_id"]  # fmt: skip
kit.table(
    shown,
    "cta_queue.csv",
    [c for c in columns if c in shown.columns],
    account_link=True,
    labels=LABELS,
    column_config={
        "close_reason_code": st.column_config.TextColumn(
            "close reason / 理由", help="why the latest outcome (lost or dismissed) closed it"
        ),
        "snooze_until": st.column_config.DateColumn(
            "snoozed until / 保留期限",
            help="a snoozed CTA is open again from this day",
            format="YYYY-MM-DD",
        ),
        "age_days": st.column_config.NumberColumn(
            "age (days)", help=f"days from triggered_on to D ({as_of})", format="%d"
        ),
        "raised_as_of": st.column_config.DateColumn(
            "raised as of", help="D of the run that raised it", format="YYYY-MM-DD"
        ),
        "raised_in_run_id": st.column_config.TextColumn("raised in run"),
        "reason": st.column_config.TextColumn("reason", width="large"),
        "action": st.column_config.TextColumn("playbook action", width="large"),
    },
)

st.subheader("Record an outcome / 対応結果を記録")
store = data.app_db_path()
writable = shown if mine is None else shown[shown["account_id"].isin(mine)]
if not access.may_write(user, "record_outcome"):
    st.caption(f"Read only: the {user.role} role does not record outcomes.")
elif writable.empty:
    st.info(
        "No CTA of yours matches the filters."
        if mine is not None
        else "No CTA matches the filters."
    )
else:
    labels = {
        r.cta_id: f"[{data.label('cta_priority', r.priority)}] {r.account_name if not kit.is_missing(r.account_name) else r.account_id} — {data.label('cta_type', r.cta_type)} — {str(r.triggered_on)[:10]} ({data.label('cta_status', r.status)})"
        for r in writable.head(FORM_CHOICES)
        .assign(account_name=writable.get("account_name", writable["account_id"]))
        .itertuples()
    }
    if len(writable) > FORM_CHOICES:
        st.caption(
            f"The form lists the first {FORM_CHOICES} CTAs of the queue; narrow the filters to reach others."
        )
    cta_id = st.selectbox("CTA", list(labels), format_func=labels.get, key="outcome_cta")
    # outside the form, so the reasons and the snooze date follow the chosen outcome
    outcome = st.radio(
        "Outcome / 結果",
        list(app_store.OUTCOMES),
        format_func=lambda o: data.label("cta_outcome", o, with_code=True),
        horizontal=True,
        key="outcome_value",
    )
    reasons = [code for code, closes in CLOSE_REASONS if closes == outcome]
    today = app_store.now_jst().date()
    with st.form("record_outcome", clear_on_submit=True):
        reason_code = snooze_until = None
        if reasons:  # lost, dismissed: a reason of seed close_reasons is required
            reason_code = st.selectbox(
                "Reason / 理由 (required / 必須)",
                reasons,
                index=None,
                format_func=lambda c: data.label("close_reason", c, with_code=True),
                placeholder="理由を選択 / choose a reason",
                key="outcome_reason",
            )
        if outcome == "snoozed":
            snooze_until = st.date_input(
                "Snooze until / 保留期限",
                value=today + timedelta(days=SNOOZE_DAYS),
                key="outcome_snooze_until",
                help=f"the CTA is open again from this day (default: {SNOOZE_DAYS} days from today)",
            )
        note = st.text_area("Note / メモ", key="outcome_note", max_chars=2000)
        st.text(f"Recorded by / 記録者: {user.name}")
        submitted = st.form_submit_button("Record / 記録する", type="primary")
    if submitted:
        try:  # the role is checked, then the record as extraction would; nothing written on error
            saved = access.record_outcome(
                user,
                cta_id,
                outcome,
                note,
                path=store,
                reason_code=reason_code,
                snooze_until=snooze_until,
            )
        except ValueError as exc:
            problems = "\n".join(f"- {p}" for p in str(exc).split("; "))
            st.error(f"Not recorded / 記録していません:\n{problems}")
        else:
            detail = ""
            if saved.reason_code:
                detail = f" ({data.label('close_reason', saved.reason_code, with_code=True)})"
            if saved.snooze_until:
                detail = f" until {saved.snooze_until:%Y-%m-%d}"
            st.success(
                f"Recorded **{saved.outcome}**{detail} for {kit.plain(labels[saved.cta_id])} at "
                f"{saved.recorded_at:%Y-%m-%d %H:%M:%S} JST by {saved.recorded_by}. "
                "The CTA's status changes at the next pipeline run."
            )

pub = data.publication()
since = None
if not kit.is_missing(pub.published_at):  # publish_log is UTC; the store is Japan time
    since = (pd.Timestamp(pub.published_at) + pd.Timedelta(hours=9)).to_pydatetime()
pending = app_store.list_outcomes(store, since=since) if store.exists() else []
if mine is not None:  # a csm sees the pending outcomes of the CTAs the queue shows them
    shown_ids = set(ctas["cta_id"])
    pending = [o for o in pending if o.cta_id in shown_ids]
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
