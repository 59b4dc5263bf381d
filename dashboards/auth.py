"""The dashboard's sign-in gate: who is signed in, as which role, until when.

A signed-out visitor sees the sign-in form and nothing else. Local users (``cswh users add``,
file ``$CSWH_USERS_DB``) sign in with name and password; where ``.streamlit/secrets.toml``
has an ``[auth]`` section, Streamlit's own OpenID Connect sign-in (``st.login``) is offered
too, and the identity's e-mail address must be a user of the same store (its role).

The signed-in state lives in ``st.session_state`` (one browser tab's session: a reload or a
new tab signs in again) and ends ``$CSWH_SESSION_MINUTES`` (default 480) after sign-in,
whatever happens meanwhile. Each run checks the user again in the store, so a user disabled
or given another role is signed out at their next click.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import streamlit as st

from dagster_project import users

SESSION_KEY = "cswh_user"
MESSAGE_KEY = "cswh_sign_in_message"
DEFAULT_MINUTES = 480.0
FAIL_DELAY_S = 1.0  # after a failed sign-in: slows guessing, and says nothing more


@dataclass(frozen=True)
class SignedIn:
    name: str
    role: str
    via: str  # "password" or "oidc"
    signed_in_at: float  # epoch seconds (clock())
    expires_at: float


def clock() -> float:
    """The gate's clock (epoch seconds)."""
    return time.time()


def session_minutes() -> float:
    raw = os.environ.get("CSWH_SESSION_MINUTES", "").strip()
    try:
        minutes = float(raw) if raw else DEFAULT_MINUTES
    except ValueError:
        return DEFAULT_MINUTES
    return minutes if minutes > 0 else DEFAULT_MINUTES


def start(name: str, role: str, via: str) -> SignedIn:
    """Sign ``name`` in for this session (the tests' AppTest helper calls it too)."""
    now = clock()
    user = SignedIn(name, role, via, now, now + session_minutes() * 60)
    st.session_state[SESSION_KEY] = user
    return user


def signed_in() -> SignedIn:
    """The user the gate let through (pages call it; streamlit_app.py ran the gate)."""
    user = st.session_state.get(SESSION_KEY)
    if user is None:  # a page run without the gate: never show it
        st.stop()
    return user


def sign_out(message: str | None = None) -> None:
    st.session_state.pop(SESSION_KEY, None)
    if message:
        st.session_state[MESSAGE_KEY] = message


def oidc_config() -> dict | None:
    """The ``[auth]`` section of secrets.toml, or None when there is none."""
    try:
        if not st.secrets.load_if_toml_exists():
            return None
        section = st.secrets.get("auth")
    except Exception:  # an unreadable secrets file: no OIDC (local users still work)
        return None
    return dict(section) if section else None


def _providers(config: dict) -> list[str | None]:
    """None: the single provider of ``[auth]``; else the named ``[auth.NAME]`` ones."""
    named = [k for k, v in config.items() if hasattr(v, "keys")]
    return [None] if "client_id" in config or not named else named


def current() -> SignedIn | None:
    """The signed-in user of this session, still valid; None when signed out (with a
    message for the sign-in page when the session just expired or the user changed)."""
    user = st.session_state.get(SESSION_KEY)
    if user is None and oidc_config() is not None and st.user.is_logged_in:
        email = str(st.user.get("email") or "").strip()
        row = users.get(email) if email else None
        if row is None or row.disabled:
            return None  # sign_in_page() says why
        user = start(row.name, row.role, "oidc")
    if user is None:
        return None
    if clock() >= user.expires_at:
        sign_out("Your session expired; sign in again. / セッションの有効期限が切れました。")
        if user.via == "oidc":
            st.logout()
        return None
    row = users.get(user.name)
    if row is None or row.disabled or row.role != user.role:
        sign_out("Your account changed; sign in again. / アカウントが変更されました。")
        return None
    return user


def sign_in_page() -> None:
    """The whole page a signed-out visitor sees: the form (and OIDC button), nothing else."""
    st.title("Sign in / サインイン")
    message = st.session_state.pop(MESSAGE_KEY, None)
    if message:
        st.info(message)
    config = oidc_config()
    if config is not None and st.user.is_logged_in:
        email = str(st.user.get("email") or "")
        st.warning(
            f"You are signed in with your company account as {email}, but that address has no "
            "role in this dashboard. Ask CS Ops to add it: "
        )
        st.code(f"cswh users add {email} --role csm --no-password", language=None)
        st.button("Sign out / サインアウト", on_click=st.logout)
        return
    if not users.any_enabled() and config is None:
        st.info(
            "No users are set up yet. Add one on the machine that runs the dashboard, then "
            "reload this page:"
        )
        st.code("cswh users add NAME --role cs_ops", language=None)
        st.caption("Roles: " + ", ".join(users.ROLES) + ". The password is asked twice.")
        return
    if users.any_enabled():
        with st.form("sign_in"):
            name = st.text_input("Name / ユーザー名", key="sign_in_name")
            password = st.text_input("Password / パスワード", type="password", key="sign_in_pw")
            submitted = st.form_submit_button("Sign in / サインイン", type="primary")
        if submitted:
            user = users.verify(name, password)
            if user is None:
                time.sleep(FAIL_DELAY_S)
                st.error("Wrong name or password. / ユーザー名またはパスワードが違います。")
            else:
                start(user.name, user.role, "password")
                st.session_state.pop("sign_in_pw", None)
                st.rerun()
    if config is not None:
        for provider in _providers(config):
            label = "Sign in with your company account / 会社アカウントでサインイン"
            if provider:
                label += f" ({provider})"
            st.button(
                label,
                on_click=st.login,
                args=(provider,) if provider else (),
                key=f"oidc_{provider or 'default'}",
            )


def sidebar(user: SignedIn) -> None:
    """Who is signed in, as which role, and the sign-out button (in the sidebar)."""
    st.sidebar.text(f"Signed in as {user.name} · role {user.role}")  # as text: no markdown
    if st.sidebar.button("Sign out / サインアウト", key="sign_out"):
        sign_out("Signed out. / サインアウトしました。")
        if user.via == "oidc":
            st.logout()
        st.rerun()
