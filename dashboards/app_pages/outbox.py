"""Outbox: which automated e-mails and digests are waiting, which went out, which failed?"""

from __future__ import annotations

import access
import auth
import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

from dagster_project import app_store
from dagster_project.notify import outbox

st.title("Which automated e-mails and digests are waiting, sent or failed?")
st.caption(
    "The outbox of `cswh notify`: customer e-mails of tech-touch CTAs, the CSMs' daily digest and "
    "the managers' weekly KPI digest. Queued messages go out with `cswh notify --send` (or the "
    "pipeline where CSWH_NOTIFY_SEND=1); hold one here to keep it back."
)
kit.guard(__file__)
user = auth.signed_in()
may_hold = access.may_write(user, "hold_outbox")  # cs_ops; a manager reads only

store = data.app_db_path()
messages = pd.DataFrame(
    [m.__dict__ for m in outbox.read(store)], columns=list(outbox.COLUMNS)
).astype({"attempts": "Int64"})
# The account a customer e-mail is about, by name (the outbox keeps its id).
names = data.query("select account_id, account_name from marts.dim_accounts")
messages = messages.merge(names, on="account_id", how="left")

counts = messages["status"].value_counts()
c = st.columns(5)
for col, status in zip(c, ("queued", "held", "sent", "failed", "suppressed"), strict=True):
    col.metric(f"{status}", kit.num(counts.get(status, 0)), border=True)
if counts.get("sending", 0):
    st.warning(
        f"{counts['sending']} message(s) are `sending`: a sender stopped between the SMTP "
        "server's answer and the mark, so they may have gone out. Check, then release them "
        "below to send again, or hold them."
    )

st.sidebar.markdown("**Filters / 絞り込み**")
status_options = [s for s in outbox.STATUSES if s in counts]
chosen_status = st.sidebar.multiselect(
    "Status / 状態",
    status_options,
    default=[s for s in ("queued", "held", "failed", "sending") if s in counts],
    key="outbox_status",
    placeholder="すべて / all",
)
kind_options = [k for k in outbox.KINDS if k in set(messages["kind"])]
chosen_kind = st.sidebar.multiselect(
    "Kind / 種類", kind_options, key="outbox_kind", placeholder="すべて / all"
)
shown = kit.apply_filter(messages, "status", chosen_status)
shown = kit.apply_filter(shown, "kind", chosen_kind)

columns = ["status", "kind", "recipients", "subject", "about_date", "csm", "account_name",
           "attempts", "last_error", "next_attempt_at", "sent_at", "suppressed_reason",
           "created_at", "account_id", "cta_id", "message_id"]  # fmt: skip
if messages.empty:
    st.info(
        f"The outbox is empty. `cswh notify` (or the pipeline, after each publish) queues the "
        f"messages of the latest publish. Store: {store}"
    )
kit.table(
    shown,
    "outbox.csv",
    columns,
    column_config={
        "subject": st.column_config.TextColumn("subject", width="large"),
        "last_error": st.column_config.TextColumn("last error", width="medium"),
    },
)

labels = {
    r.message_id: f"[{r.status}] {r.recipients or '(no address)'} — {r.subject}"
    for r in messages.itertuples()
}
if not shown.empty:
    st.subheader("Preview / プレビュー")
    picked = st.selectbox(
        "Message", list(shown["message_id"]), format_func=labels.get, key="outbox_preview"
    )
    row = shown.set_index("message_id").loc[picked]
    # Data is shown as text, never as markdown or HTML.
    st.text(f"To: {row['recipients'] or '(no address)'}\nSubject: {row['subject']}")
    if not kit.is_missing(row["suppressed_reason"]):
        st.text(f"Suppressed: {row['suppressed_reason']}")
    if not kit.is_missing(row["last_error"]):
        st.text(f"Last error: {row['last_error']}")
    st.code(row["body"] or "", language=None, wrap_lines=True)

if not messages.empty and may_hold:
    # Every message of the kinds chosen, whatever the status filter: a message just held
    # can be released at once.
    st.subheader("Hold or release / 保留・解除")
    of_kind = kit.apply_filter(messages, "kind", chosen_kind)
    holdable = of_kind[of_kind["status"].isin(["queued", "failed"])]
    releasable = of_kind[of_kind["status"].isin(["held", "failed", "sending"])]
    left, right = st.columns(2)
    with left:
        to_hold = st.multiselect(
            "Hold (queued, failed)",
            list(holdable["message_id"]),
            format_func=labels.get,
            key="outbox_hold",
        )
        if st.button("Hold / 保留", disabled=not to_hold, key="outbox_hold_button"):
            n = outbox.hold(store, to_hold)
            st.success(f"Held {n} message(s).")
            st.rerun()
    with right:
        to_release = st.multiselect(
            "Release (held, failed, sending)",
            list(releasable["message_id"]),
            format_func=labels.get,
            key="outbox_release",
        )
        if st.button("Release / 解除", disabled=not to_release, key="outbox_release_button"):
            n = outbox.release(store, to_release)
            st.success(f"Released {n} message(s): queued for the next send.")
            st.rerun()

st.subheader("Record an opt-out / 配信停止を記録")
st.caption(
    "A person who wants no automated e-mail. Their queued messages are suppressed at the next "
    "send; the pipeline loads the opt-out with cs_inputs/opt_outs files."
)
submitted = False
if not access.may_write(user, "record_opt_out"):
    st.caption(f"Read only: the {user.role} role does not hold messages or record opt-outs.")
else:
    with st.form("record_opt_out", clear_on_submit=True):
        email = st.text_input("E-mail / メールアドレス", key="opt_out_email")
        st.text(f"Recorded by / 記録者: {user.name}")
        submitted = st.form_submit_button("Record / 記録する", type="primary")
if submitted:
    try:
        saved = access.record_opt_out(user, email, path=store)
    except ValueError as exc:
        st.error("Not recorded:")
        st.text(str(exc))
    else:
        st.success("Opt-out recorded.")
        st.text(f"{saved['email']} since {saved['opted_out_at']}")
opt_outs = app_store.read_rows("opt_outs", store) if store.exists() else []
with st.expander(f"Opt-outs recorded in the dashboard ({len(opt_outs)})"):
    if opt_outs:
        kit.table(
            pd.DataFrame(opt_outs).drop(columns="_rowid"), "opt_outs.csv", ["email", "opted_out_at"]
        )
    else:
        st.caption("None yet.")
st.caption(f"Source: app store {store} (table outbox, opt_outs)")
