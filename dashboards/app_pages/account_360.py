"""Account 360: where does this account stand, why is its score what it is, what happened lately?"""

from __future__ import annotations

import html
from datetime import timedelta

import access
import altair as alt
import auth
import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

from dagster_project import app_store
from dagster_project.seeds import project_var

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
TIMELINE = "marts.fct_account_timeline"
TIMELINE_ROWS = 1000  # an account's events shown at most (the download holds the same rows)
TIMELINE_COLUMNS = ["event_at", "kind", "title", "detail", "actor", "source_id"]
# fct_account_health's override columns (CONTRACT section 11); an older copy lacks them.
OVERRIDE_COLUMNS = ("override_score", "override_reason", "override_expires_on",
                    "effective_health_score", "effective_health_tier")  # fmt: skip
# An override's expiry: by default / at most this many days after the day it is set (dbt vars).
OVERRIDE_DAYS_DEFAULT = int(project_var("override_days_default"))
OVERRIDE_DAYS_MAX = int(project_var("override_days_max"))
PULSES = (1, 2, 3, 4, 5)  # cs_inputs/pulse: 1 = about to leave .. 5 = advocate
FLASH = "a360_recorded"  # the confirmation shown after a form saved and was cleared
OVERRIDE_KEYS = ("ov_score", "ov_reason", "ov_expires")  # the forms' widgets
PULSE_KEYS = ("pulse_value", "pulse_note")
SEMINAR_CODES = RECENT_CODES | {"category": "seminar_category"}
TICKET_CODES = RECENT_CODES | {"category": "ticket_category"}

st.title("Account 360: where does this account stand, and why?")
kit.guard(__file__)
user = auth.signed_in()

accounts = data.query(
    "select account_id, account_name, segment, is_active_customer from marts.dim_accounts"
    " order by is_active_customer desc, account_name, account_id"
)
# A csm sees their book of business (accounts whose csm_owner is them); the toggle shows the
# others, read only.
mine = access.own_accounts(user) if user.role == "csm" else None
if mine is not None and not st.sidebar.toggle(
    "All accounts (read only) / 全顧客 (閲覧のみ)", value=False, key="a360_all_accounts"
):
    if st.query_params.get("account") not in (None, *mine):
        st.info(
            "That account is not in your book of business; turn on “All accounts” in the "
            "sidebar to view it (read only)."
        )
    accounts = accounts[accounts["account_id"].isin(mine)]
if accounts.empty:
    st.info("No accounts in the serving copy." if mine is None else "No accounts are yours.")
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
st.header(kit.plain(acc.get("account_name") or account_id))  # names are data: never markdown
st.caption(
    " · ".join(
        kit.plain(x)
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

has_override_columns = all(c in health.columns for c in OVERRIDE_COLUMNS)
override = (
    latest
    if latest is not None and has_override_columns and not kit.is_missing(latest["override_score"])
    else None
)
tier = latest["health_tier"] if latest is not None else None
if tier is not None:
    effective = latest["effective_health_tier"] if has_override_columns else tier
    effective = tier if kit.is_missing(effective) else effective
    tiers = kit.tier_palette([tier, effective]).set_index("tier")
    colour = tiers["colour"][effective]
    # labels of seed health_tiers; escaped all the same, as everything from the data
    label_ja = html.escape(str(tiers["label_ja"].get(effective, effective)))
    computed = (
        f" &nbsp; computed / 算出: {html.escape(str(tiers['label_ja'].get(tier, tier)))} "
        f"({html.escape(str(tier))})"
        if has_override_columns
        else ""
    )
    # HTML is allowed here for the coloured badge only: every value in it is escaped
    segment = html.escape(data.label("segment", acc.get("segment"), with_code=True))
    stage = html.escape(data.label("lifecycle_stage", acc.get("lifecycle_stage"), with_code=True))
    st.markdown(
        f'<span style="background:{html.escape(str(colour))};color:white;padding:0.2em 0.6em;'
        'border-radius:0.4em">'
        f"{label_ja} ({html.escape(str(effective))})</span>{computed}"
        + (" · override / 上書き中" if override is not None else "")
        + f" &nbsp; segment <b>{segment}</b> · "
        f"renewal <b>{html.escape(str(acc.get('contract_end') or '–')[:10])}</b> · "
        f"lifecycle <b>{stage}</b>",
        unsafe_allow_html=True,
    )
c = st.columns(5 if has_override_columns else 4)
c[0].metric("Health score / ヘルス", kit.num(latest["health_score"], 1) if latest is not None else "–",
            delta=kit.delta(latest["health_score"], latest["health_score"] - latest["health_score_change_28d"], "score")
            if latest is not None and not kit.is_missing(latest["health_score_change_28d"]) else None,
            help="change over 28 days", border=True)  # fmt: skip
c[1].metric("Days to renewal / 更新まで", kit.num(acc.get("days_to_renewal")),
            help=f"contract ends {str(acc.get('contract_end') or '–')[:10]}", border=True)  # fmt: skip
c[2].metric("ARR / 年間契約額", kit.yen(acc.get("arr_jpy")), border=True)
c[3].metric("Adoption stage / 活用段階", f"{kit.num(acc.get('adoption_stage'))} / 5", border=True)
if has_override_columns:
    c[4].metric(
        "Effective score / 実効スコア",
        kit.num(latest["effective_health_score"], 1) if latest is not None else "–",
        help="the override's score while one applies, else the computed health score",
        border=True,
    )
if override is not None:
    with st.container(border=True):
        st.markdown(
            "**Override in force / ヘルス上書き中** — the score and tier shown as effective"
        )
        o = st.columns(3)
        o[0].metric("Override score / 上書きスコア", kit.num(override["override_score"]))
        o[1].metric("Computed score / 算出スコア", kit.num(override["health_score"], 1))
        o[2].metric("Expires / 期限", str(override["override_expires_on"])[:10])
        st.caption("Reason / 理由")
        st.text(str(override["override_reason"]))  # free text: never markup

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


def recent_activity_tabs() -> None:
    """The latest records per source: for a serving copy published without the timeline."""
    st.subheader("Recent activity")
    tabs = st.tabs([title for title, _, _ in RECENT])
    for tab, (_title, candidates, date_cols) in zip(tabs, RECENT, strict=True):
        with tab:
            recent_table(candidates, date_cols)


def recent_table(candidates: list[str], date_cols: list[str]) -> None:
    source = next((t for t in candidates if kit.has(t)), None)
    if source is None:
        st.info(f"None of {', '.join(candidates)} is in the serving copy.")
        return
    cols = data.columns(source)
    if "account_id" not in cols:
        st.info(f"`{source}` has no account_id column.")
        return
    sort = next((c for c in date_cols if c in cols), None)
    sql = f"select * from {data.ident(source, data.tables())} where account_id = ?"
    if sort:
        sql += f" order by {data.ident(sort, cols)} desc nulls last"
    recent = data.query(sql + f" limit {RECENT_ROWS}", (account_id,))
    st.caption(f"Latest {RECENT_ROWS} from `{source}`: {len(recent)} shown")
    codes = TICKET_CODES if "ticket" in source else SEMINAR_CODES
    kit.table(recent, f"{source.split('.')[-1]}_{account_id}.csv", labels=codes)


def timeline() -> None:
    """Everything that happened to the account, newest first, filterable by kind."""
    st.subheader("Timeline / タイムライン")
    kinds = data.code_labels("timeline_kind")
    chosen = st.multiselect(
        "Kinds / 種類",
        list(kinds),
        format_func=lambda k: data.label("timeline_kind", k),
        key="a360_timeline_kinds",
        placeholder="すべて / all",
    )
    where = f" and kind in ({', '.join('?' for _ in chosen)})" if chosen else ""
    events = data.query(
        f"select {', '.join(TIMELINE_COLUMNS)} from {TIMELINE} where account_id = ?{where}"
        f" order by event_at desc, event_id limit {TIMELINE_ROWS + 1}",
        (account_id, *chosen),
    )
    more = len(events) > TIMELINE_ROWS
    events = events.head(TIMELINE_ROWS)
    st.caption(
        f"{len(events):,} events"
        + (f" (the latest {TIMELINE_ROWS:,}; pick kinds to see older ones)" if more else "")
        + ". People of the customer appear by their contact role."
    )
    kit.table(
        events,
        f"timeline_{account_id}.csv",
        labels={"kind": "timeline_kind"},
        column_config={
            "event_at": st.column_config.DatetimeColumn("when / 日時", format="YYYY-MM-DD HH:mm"),
            "kind": st.column_config.TextColumn("kind / 種類"),
            "title": st.column_config.TextColumn("what / 概要", width="medium"),
            "detail": st.column_config.TextColumn("detail / 詳細", width="large"),
            "actor": st.column_config.TextColumn("who / 実施者"),
        },
    )


if kit.has(TIMELINE):
    timeline()
else:
    recent_activity_tabs()

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


def contacts() -> None:
    """The account's people by name and address: from the restricted copy, never the
    serving copy (which holds only their person_key; SECURITY.md)."""
    st.subheader("Contacts / 連絡先")
    try:
        people = data.people_query(
            "select full_name, email, role, contact_id, person_key from people.contacts"
            " where account_id = ? order by role, contact_id",
            (account_id,),
        )
    except data.RestrictedMissing as missing:
        st.info(f"No restricted copy readable at `{missing}`: contacts are not shown.")
        return
    st.caption(f"{len(people)} contacts (restricted copy: personal data, handle with care)")
    kit.table(people, f"contacts_{account_id}.csv", labels={"role": "contact_role"})


contacts()

# --- what people add: an override and a pulse (CONTRACT section 11) --------------------------
st.subheader("Record / 記録")
st.caption(
    "Saved to the app store and loaded by the next pipeline run: the score, the timeline and "
    "the CTAs show them after it."
)
store = data.app_db_path()
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash)


def _saved(message: str, keys: tuple[str, ...]) -> None:
    """Confirm on the next rerun, with the form cleared (kept as typed when not saved)."""
    for key in keys:
        st.session_state.pop(key, None)
    st.session_state[FLASH] = message
    st.rerun()


def _not_saved(exc: ValueError) -> None:
    st.error("Not recorded / 記録されていません — nothing was saved. Fix and send again:")
    st.text("\n".join(f"• {reason}" for reason in str(exc).split("; ")))


today = app_store.now_jst().date()
pulse_labels = data.code_labels("pulse_level")


def _override_form() -> None:
    st.markdown("**Health override / ヘルス上書き**")
    score = st.number_input(
        "Override score / 上書きスコア (0-100)", 0, 100, value=None, step=1, key="ov_score"
    )
    reason = st.text_area("Reason / 理由 (required)", key="ov_reason", max_chars=2000)
    expires = st.date_input(
        "Expires on / 期限",
        value=today + timedelta(days=OVERRIDE_DAYS_DEFAULT),
        min_value=today,
        max_value=today + timedelta(days=OVERRIDE_DAYS_MAX),
        help=f"default {OVERRIDE_DAYS_DEFAULT} days from today, at most {OVERRIDE_DAYS_MAX}",
        key="ov_expires",
    )
    st.text(f"Recorded by / 記録者: {user.name}")
    if st.form_submit_button("Set override / 上書きを設定", type="primary"):
        try:  # the role is checked again at write time (access.py)
            saved = access.record_override(user, account_id, score, reason, expires, path=store)
        except ValueError as exc:
            _not_saved(exc)
        else:
            _saved(
                f"Override {saved['override_score']} until {saved['expires_on']} recorded — "
                "shown after the next run / 次回の更新後に反映されます。",
                OVERRIDE_KEYS,
            )


def _pulse_form() -> None:
    st.markdown("**CSM pulse / CSMパルス**")
    pulse = st.radio(
        "Pulse / パルス (1 = about to leave .. 5 = advocate)",
        PULSES,
        index=None,
        format_func=lambda p: f"{p} · {' / '.join(pulse_labels.get(str(p), ()))}".rstrip(" ·"),
        key="pulse_value",
    )
    note = st.text_area("Note / メモ", key="pulse_note", max_chars=2000)
    st.text(f"Recorded by / 記録者: {user.name}")
    if st.form_submit_button("Record pulse / パルスを記録", type="primary"):
        try:
            saved = access.record_pulse(user, account_id, pulse, note, path=store)
        except ValueError as exc:
            _not_saved(exc)
        else:
            _saved(
                f"Pulse {saved['pulse']} / 5 recorded — shown after the next run / "
                "次回の更新後に反映されます。",
                PULSE_KEYS,
            )


# Forms only where the role may record on this account (a csm: their own accounts).
may_override = access.can(user, "record_override", account_id)
may_pulse = access.can(user, "record_pulse", account_id)
if not (may_override or may_pulse):
    st.caption(
        f"Read only: the {user.role} role does not record overrides or pulses"
        + (" on another CSM's account." if user.role == "csm" else ".")
    )
left, right = st.columns(2)
if may_override:
    with left, st.form("a360_override"):
        _override_form()
if may_pulse:
    with right, st.form("a360_pulse"):
        _pulse_form()

pub = data.publication()
since = None
if not kit.is_missing(pub.published_at):  # publish_log is UTC; the store is Japan time
    since = (pd.Timestamp(pub.published_at) + pd.Timedelta(hours=9)).to_pydatetime()
pending = [
    {"kind": kind, **{k: v for k, v in row.items() if k != "_rowid"}}
    for kind, table in (("override", "overrides"), ("pulse", "pulses"))
    for row in app_store.read_rows(table, store, since)
    if row["account_id"] == account_id
]
with st.expander(
    f"Recorded for this account since the last publish ({len(pending)}) — shown after the next run"
):
    if pending:
        kit.table(
            pd.DataFrame(pending),
            f"recorded_pending_{account_id}.csv",
            [
                "kind",
                "set_at",
                "recorded_at",
                "override_score",
                "expires_on",
                "reason",
                "pulse",
                "note",
                "set_by",
                "recorded_by",
            ],  # fmt: skip
            labels={"kind": "timeline_kind"},
        )
    else:
        st.caption(f"None yet. Store: `{store}`")
kit.caption_source(
    "marts.dim_accounts", "marts.fct_account_health", "marts.fct_health_metrics", TIMELINE
)
