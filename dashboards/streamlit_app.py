"""cswh dashboard: one page per question, on the serving copy only.

Run with `cswh dashboard` (or `streamlit run dashboards/streamlit_app.py`); reads
$CSWH_SERVING (the published serving copy) and writes CTA outcomes to $CSWH_APP_DB.
Signed-out visitors see only the sign-in (auth.py); a signed-in user's menu lists the pages
their role may open (navigation.py's ``roles``); any other page's address says so and stops.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
for folder in (HERE, HERE.parent):  # the page helpers, and dagster_project without an install
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import auth  # noqa: E402
import serving_data as data  # noqa: E402
from navigation import PAGES  # noqa: E402
from page_kit import is_missing  # noqa: E402

st.set_page_config(page_title="CS warehouse", page_icon=":material/monitoring:", layout="wide")

APP_PAGES = HERE / "app_pages"
entries = [
    (
        spec,
        st.Page(
            APP_PAGES / spec.file,
            title=spec.title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=spec.default,
        ),
    )
    for spec in PAGES
]


def menu(user: auth.SignedIn, allowed: list) -> None:
    """The sidebar: the pages ``user``'s role may open, by group; who is signed in."""
    with st.sidebar:
        group = None
        for spec, entry in allowed:
            if spec.group != group:
                group = spec.group
                st.caption(group)
            st.page_link(entry)
        st.divider()
        auth.sidebar(user)
        st.divider()


def data_caption() -> None:
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


def main(user: auth.SignedIn | None) -> None:
    """Signed out: the sign-in page only. Signed in: the role's menu, then the page asked
    for if the role may open it (the root: the role's first page), else a refusal."""
    if user is None:
        auth.sign_in_page()
        return
    spec = next(s for s, entry in entries if entry is page)
    allowed = [(s, entry) for s, entry in entries if s.allows(user.role)]
    if not spec.allows(user.role) and spec.default and allowed:
        st.switch_page(allowed[0][1])
    menu(user, allowed)
    if not spec.allows(user.role):
        st.error(f"Not allowed for your role ({user.role}). / このロールでは表示できません。")
        return
    data_caption()
    page.run()


# Every page is registered, so any page's address resolves (and is kept through sign-in);
# the menu lists only the pages the user's role may open.
page = st.navigation([entry for _, entry in entries], position="hidden")
main(auth.current())
