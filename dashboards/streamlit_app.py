"""cswh dashboard: one page per question, on the serving copy only.

Run with `cswh dashboard` (or `streamlit run dashboards/streamlit_app.py`); reads
$CSWH_SERVING (the published serving copy) and writes CTA outcomes to $CSWH_APP_DB.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent):  # the page helpers, and dagster_project without an install
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import serving_data as data  # noqa: E402
from page_kit import is_missing  # noqa: E402

st.set_page_config(page_title="CS warehouse", page_icon=":material/monitoring:", layout="wide")

PAGES = HERE / "app_pages"
pages = {
    "Managers": [
        st.Page(
            PAGES / "overview.py",
            title="Overview (KPI)",
            icon=":material/monitoring:",
            url_path="overview",
            default=True,
        ),
        st.Page(PAGES / "health.py", title="Health", icon=":material/favorite:", url_path="health"),
        st.Page(
            PAGES / "calibration.py",
            title="Calibration",
            icon=":material/target:",
            url_path="calibration",
        ),
    ],
    "CSMs": [
        st.Page(
            PAGES / "account_360.py",
            title="Account 360",
            icon=":material/apartment:",
            url_path="account",
        ),
        st.Page(
            PAGES / "cta_queue.py", title="CTA queue", icon=":material/checklist:", url_path="ctas"
        ),
        st.Page(
            PAGES / "playbooks.py",
            title="Playbooks and rules",
            icon=":material/menu_book:",
            url_path="playbooks",
        ),
    ],
    "Auditors": [
        st.Page(
            PAGES / "data_quality.py",
            title="Data quality",
            icon=":material/verified:",
            url_path="data-quality",
        ),
    ],
}
page = st.navigation(pages)

with st.sidebar:
    if data.version() is None:
        st.caption("No serving copy published yet.")
    else:
        pub = data.publication()
        d = data.as_of_date()
        st.caption(
            f"Data as of **{d or '–'}**"
            + (
                ""
                if is_missing(pub.published_at)
                else f" · published {pub.published_at:%Y-%m-%d %H:%M} UTC"
            )
            + ("" if pub.seeds_hash is None else f" · seeds `{pub.seeds_hash[:12]}`")
        )
    st.divider()

page.run()
