"""Data quality: can we trust the latest data — what failed, what was rejected, what was quarantined?"""

from __future__ import annotations

import altair as alt
import page_kit as kit
import pandas as pd
import serving_data as data
import streamlit as st

from dagster_project import app_store

QUARANTINE_ROWS = 5000
LATEST_WRITES = 200  # the latest records of each audited table read from the app store

st.title("Can we trust the latest data?")
st.caption(
    "The latest run's checks (failures first), their history, the files loaded or rejected, and the quarantined rows."
)
kit.guard(__file__)

docs = data.docs_dir()
sites = [
    (
        "Data Docs (Great Expectations: every suite and validation run)",
        docs / "data_docs" / "index.html",
    ),
    ("dbt docs (models, tests, lineage)", docs / "dbt" / "index.html"),
    ("Docs index", docs / "index.html"),
]
found = [(name, path) for name, path in sites if path.is_file()]
if found:
    st.markdown(
        "Reports for auditors (static HTML on this machine; `cswh docs` rebuilds them):\n"
        + "\n".join(f"- [{name}]({path.resolve().as_uri()}) — `{path}`" for name, path in found)
    )
else:
    st.caption(f"No Data Docs under `{docs}` yet: run `cswh docs` to build them.")

# --- checks -----------------------------------------------------------------------------------
st.header("Checks / 品質チェック")
if not kit.has("dq.check_results"):
    st.info("`dq.check_results` is not in the serving copy yet (the quality checks have not run).")
else:
    runs = data.query(
        "select run_id, max(checked_at) as checked_at, count(*) as checks,"
        " count(*) filter (where not success) as failed,"
        " count(*) filter (where not success and severity = 'critical') as failed_critical,"
        " count(*) filter (where not success and severity <> 'critical') as failed_warning"
        " from dq.check_results group by run_id order by checked_at desc"
    )
    severities = data.query("select distinct severity from dq.check_results order by 1")[
        "severity"
    ].tolist()
    run_id = st.sidebar.selectbox(
        "Check run / 実行",
        runs["run_id"].tolist(),
        format_func=lambda r: (
            f"{r} ({runs.set_index('run_id').loc[r, 'checked_at']:%Y-%m-%d %H:%M})"
        ),
        key="dq_run",
    )
    chosen_sev = st.sidebar.multiselect(
        "Severity / 重要度",
        severities,
        key="dq_severity",
        placeholder="すべて / all",
        format_func=lambda s: data.label("dq_severity", s, with_code=True),
    )
    failed_only = st.sidebar.toggle(
        "Failed checks only / 失敗のみ", value=False, key="dq_failed_only"
    )
    sev = chosen_sev or severities
    checks = data.query(
        "select success, severity, suite, table_name, column_name, expectation, observed_value,"
        " unexpected_count, checked_at from dq.check_results where run_id = ?"
        f" and severity in ({', '.join('?' for _ in sev)})"
        " order by success, severity = 'critical' desc, table_name, column_name, expectation",
        (run_id, *sev),
    )
    if failed_only:
        checks = checks[~checks["success"].astype(bool)]
    c = st.columns(4)
    c[0].metric("Checks / チェック数", kit.num(len(checks)), border=True)
    c[1].metric("Passed / 合格", kit.num(checks["success"].astype(bool).sum()), border=True)
    c[2].metric(
        "Failed critical / 重大な失敗",
        kit.num((~checks["success"].astype(bool) & (checks["severity"] == "critical")).sum()),
        border=True,
    )
    c[3].metric(
        "Failed warning / 警告",
        kit.num((~checks["success"].astype(bool) & (checks["severity"] != "critical")).sum()),
        border=True,
    )
    st.subheader(f"Run {run_id}: failed first")
    kit.table(checks, f"check_results_{run_id}.csv", labels={"severity": "dq_severity"})

    st.subheader("History / 履歴")
    hist = runs.melt(
        id_vars=["run_id", "checked_at"],
        value_vars=["failed_critical", "failed_warning"],
        var_name="failed",
    )
    st.altair_chart(
        alt.Chart(hist)
        .mark_bar()
        .encode(
            x=alt.X("checked_at:T", title=None),
            y=alt.Y("value:Q", title="failed checks", axis=kit.axis("count")),
            color=alt.Color(
                "failed:N",
                scale=alt.Scale(
                    domain=["failed_critical", "failed_warning"], range=["#d73027", "#fc8d59"]
                ),
            ),
            tooltip=["run_id:N", "checked_at:T", "failed:N", "value:Q"],
        )
        .properties(height=200),
        width="stretch",
    )
    kit.table(runs, "check_runs.csv")

# --- loads ------------------------------------------------------------------------------------
st.header("Loads / 取り込み")
if not kit.has("dq.load_manifest"):
    st.info("`dq.load_manifest` is not in the serving copy yet.")
else:
    # values_mapped: enum values loaded through seed code_synonyms (older copies lack it)
    mapped = "values_mapped" if data.has_column("dq.load_manifest", "values_mapped") else "null"
    manifest = data.query(
        "select status, source, file, rows_read, rows_loaded, rows_quarantined,"
        f" {mapped} as values_mapped, error, run_id, loaded_at, file_hash"
        " from dq.load_manifest order by status = 'failed' desc, loaded_at desc, file"
    )
    sources = kit.sidebar_multiselect("Source / ソース", manifest, "source", "dq_source")
    manifest = kit.apply_filter(manifest, "source", sources)
    rejected = manifest[manifest["status"] == "failed"]
    c = st.columns(4)
    c[0].metric("Files / ファイル", kit.num(len(manifest)), border=True)
    c[1].metric("Rejected files / 取込拒否", kit.num(len(rejected)), border=True)
    c[2].metric("Rows loaded / 取込行", kit.num(manifest["rows_loaded"].sum()), border=True)
    c[3].metric(
        "Rows quarantined / 隔離行", kit.num(manifest["rows_quarantined"].sum()), border=True
    )
    if not rejected.empty:
        st.subheader("Rejected files / 取込拒否ファイル")
        kit.table(
            rejected, "rejected_files.csv", ["source", "file", "error", "run_id", "loaded_at"]
        )
    with st.expander("Load manifest (every file and attempt)"):
        kit.table(manifest, "load_manifest.csv", labels={"status": "dq_load_status"})

    st.subheader("Quarantine / 隔離された行")
    if kit.has("dq.quarantine"):
        quarantine = data.query(
            "select source, file, row_number, reason, raw_record, run_id from dq.quarantine"
            " order by run_id desc, source, file, row_number limit ?",
            (QUARANTINE_ROWS,),
        )
        total_q = data.scalar("select count(*) from dq.quarantine")
        if total_q > QUARANTINE_ROWS:
            st.caption(f"Showing the latest {QUARANTINE_ROWS:,} of {total_q:,} quarantined rows.")
        quarantine = kit.apply_filter(quarantine, "source", sources)
        reasons = (
            quarantine.groupby("source").size().reset_index(name="rows")
            if not quarantine.empty
            else None
        )
        if reasons is not None:
            st.altair_chart(
                alt.Chart(reasons)
                .mark_bar()
                .encode(y=alt.Y("source:N", title=None), x=alt.X("rows:Q", axis=kit.axis("count")))
                .properties(height=140),
                width="stretch",
            )
        kit.table(quarantine, "quarantine.csv")
    else:
        st.info("`dq.quarantine` is not in the serving copy yet.")

# --- orphaned outcomes ------------------------------------------------------------------------
st.header("Orphaned CTA outcomes / 対象のない対応記録")
ORPHANS = "dq.orphaned_cta_outcomes"
if not kit.has(ORPHANS):
    st.info(
        f"`{ORPHANS}` is not in this serving copy: it was published by a pipeline that did not "
        "list them yet. Outcomes are never dropped; the next run lists any it finds."
    )
else:
    orphans = data.query(
        "select cta_id, recorded_at, recorded_by, outcome, note, source_file"
        f" from {data.ident(ORPHANS, data.tables())} order by recorded_at desc, cta_id"
    )
    st.caption(
        "Outcomes whose `cta_id` the CTA ledger does not hold (e.g. after a replay rebuilt it). "
        "They stay in the raw data; fix the id in the source file or record them again."
    )
    st.metric("Orphaned outcomes / 対象のない記録", kit.num(len(orphans)), border=True)
    if not orphans.empty:
        kit.table(orphans, "orphaned_cta_outcomes.csv")

# --- latest writes ---------------------------------------------------------------------------
st.header("Latest writes / 最新の記録")
st.caption(
    "What people recorded in the dashboard (CTA outcomes, health overrides, pulses, opt-outs), "
    "newest first, straight from the app store (read only). Records are never edited or "
    "deleted: a correction is a new record. `by` is the signed-in user; opt-out addresses "
    "are masked."
)
writes = pd.DataFrame(
    app_store.latest_writes(data.app_db_path(), LATEST_WRITES),
    columns=["table", "at", "by", "subject", "value"],
)
if writes.empty:
    st.caption("Nothing recorded in the dashboard yet.")
else:
    kit.table(
        writes.head(LATEST_WRITES),
        "latest_writes.csv",
        column_config={
            "at": st.column_config.TextColumn("when (JST)"),
            "subject": st.column_config.TextColumn("CTA / account"),
            "value": st.column_config.TextColumn("outcome / score / pulse"),
        },
    )

# --- publications -----------------------------------------------------------------------------
st.header("Publications / 公開履歴")
if not kit.has("dq.publish_log"):
    st.info("`dq.publish_log` is not in this serving copy.")
else:
    pubs = data.publications()
    if not data.has_column("dq.publish_log", "seeds_hash"):
        st.info(
            "This serving copy's `dq.publish_log` has no `seeds_hash`: it was published before "
            "the seed version (thresholds, weights, playbooks) was recorded."
        )
        pubs = pubs.drop(columns="seeds_hash")
    else:
        st.caption(
            "`seeds_hash`: the version of the dbt seeds (thresholds, weights, playbooks) each "
            "publication was built with; a new value means the rules changed."
        )
    kit.table(pubs, "publish_log.csv")
kit.caption_source(
    "dq.check_results", "dq.load_manifest", "dq.quarantine", ORPHANS, "dq.publish_log"
)
