"""The dashboard's local users: who may sign in, and with which role.

A small SQLite file at ``$CSWH_USERS_DB`` (default ``~/.config/cswh/users.sqlite``): outside
the repository and never in the serving copy. The file is created readable by its owner only
(0600) and a folder created for it is 0700; SQLite gives its journal the same mode.

Passwords are kept as argon2id hashes (argon2-cffi's ``PasswordHasher`` with its default
parameters: salted, slow and memory-hard), never as text. A user added with no password
(``cswh users add alice@corp.example --role csm --no-password``) can only sign in through the
company's OpenID Connect provider, under that e-mail address; the row gives the role.

``ROLES`` is the one list of roles: the dashboard's page rules (dashboards/navigation.py) and
write rules (dashboards/access.py) import it.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import stat
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES: tuple[str, ...] = ("manager", "csm", "cs_ops", "auditor")
ROLE_HELP = {
    "manager": "every page, read only",
    "csm": "their own book of business (accounts whose csm_owner is their name); may record "
    "outcomes, pulses and overrides for those accounts",
    "cs_ops": "every page; may record anything on any account, the What-if and the Outbox",
    "auditor": "Data quality and its reports, read only",
}
MIN_PASSWORD = 12
MAX_NAME = 200

_HASHER = PasswordHasher()  # argon2id, the library's default (RFC 9106 low-memory) parameters


@cache
def _dummy_hash() -> str:
    """Verified when the name is unknown, so a wrong name takes as long as a wrong password."""
    return _HASHER.hash("cswh: no such user, compare against something")


DDL = """create table if not exists users (
    name text primary key,
    role text not null,
    password_hash text,
    created_at text not null,
    created_by text not null,
    disabled integer not null default 0
)"""


class UserError(ValueError):
    """A mistake a person can fix (the CLI exits 2 with the message)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str
    created_by: str
    disabled: bool
    has_password: bool


def default_path() -> Path:
    """``$CSWH_USERS_DB``, or ``~/.config/cswh/users.sqlite``."""
    configured = os.environ.get("CSWH_USERS_DB", "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    return Path.home() / ".config" / "cswh" / "users.sqlite"


def _path(path: Path | str | None) -> Path:
    return Path(path).expanduser().resolve() if path is not None else default_path()


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=10)
    con.execute("pragma busy_timeout = 10000")
    return con


def init(path: Path | str | None = None) -> Path:
    """Create the store if needed: a missing folder as 0700, the file as 0600 (an existing
    file is set back to 0600; an existing folder is left as it is, it may be shared)."""
    from dagster_project.config import PROJECT_ROOT

    path = _path(path)
    if path.is_relative_to(PROJECT_ROOT.resolve()):
        raise UserError(
            f"the users file {path} is inside the repository; set CSWH_USERS_DB to a path "
            "outside it (default ~/.config/cswh/users.sqlite)"
        )
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
        path.parent.chmod(0o700)  # mkdir's mode is masked by the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if stat.S_IMODE(path.stat().st_mode) != 0o600:
        path.chmod(0o600)
    with closing(_connect(path)) as con, con:
        con.execute(DDL)
    return path


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise UserError("a user name is required")
    if len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise UserError(f"a user name is at most {MAX_NAME} printable characters")
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; the roles are {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if not password:
        raise UserError("the password is empty")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
    return password


def add(
    name: str,
    role: str,
    password: str | None,
    *,
    reset: bool = False,
    path: Path | str | None = None,
    created_by: str | None = None,
) -> User:
    """Add a user (``password`` None: OpenID Connect sign-in only). An existing name is an
    error unless ``reset``: then its role and password are replaced and it is enabled again."""
    name, role = check_name(name), check_role(role)
    digest = None if password is None else _HASHER.hash(check_password(password))
    path = init(path)
    by = created_by or _os_user()
    at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    with closing(_connect(path)) as con, con:
        exists = con.execute("select 1 from users where name = ?", (name,)).fetchone()
        if exists and not reset:
            raise UserError(f"user {name!r} exists; add --reset to give it a new password/role")
        if exists:
            con.execute(
                "update users set role = ?, password_hash = ?, created_at = ?, created_by = ?,"
                " disabled = 0 where name = ?",
                (role, digest, at, by, name),
            )
        else:
            con.execute(
                "insert into users (name, role, password_hash, created_at, created_by, disabled)"
                " values (?, ?, ?, ?, ?, 0)",
                (name, role, digest, at, by),
            )
    user = get(name, path)
    assert user is not None
    return user


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return str(os.getuid())


def _row(row: tuple) -> User:
    name, role, digest, created_at, created_by, disabled = row
    return User(name, role, created_at, created_by, bool(disabled), digest is not None)


_COLUMNS = "name, role, password_hash, created_at, created_by, disabled"


def get(name: str, path: Path | str | None = None) -> User | None:
    """The user called ``name`` (disabled ones too), or None; a missing store holds nobody."""
    path = _path(path)
    if not path.exists():
        return None
    with closing(_connect(path)) as con:
        try:
            row = con.execute(
                f"select {_COLUMNS} from users where name = ?", ((name or "").strip(),)
            ).fetchone()
        except sqlite3.OperationalError:  # an empty file: no table yet
            return None
    return _row(row) if row else None


def list_users(path: Path | str | None = None) -> list[User]:
    path = _path(path)
    if not path.exists():
        return []
    with closing(_connect(path)) as con:
        try:
            rows = con.execute(f"select {_COLUMNS} from users order by name").fetchall()
        except sqlite3.OperationalError:
            return []
    return [_row(r) for r in rows]


def any_enabled(path: Path | str | None = None) -> bool:
    return any(not u.disabled for u in list_users(path))


def disable(name: str, path: Path | str | None = None) -> User:
    path = _path(path)
    if get(name, path) is None:
        raise UserError(f"no user {name!r}")
    with closing(_connect(path)) as con, con:
        con.execute("update users set disabled = 1 where name = ?", (name.strip(),))
    user = get(name, path)
    assert user is not None
    return user


def verify(name: str, password: str, path: Path | str | None = None) -> User | None:
    """The enabled user ``name`` if ``password`` is theirs, else None. An unknown name, a
    disabled user or one without a password costs one hash check too (no timing tell)."""
    path = _path(path)
    name = (name or "").strip()
    digest = None
    if path.exists() and name:
        with closing(_connect(path)) as con:
            try:
                row = con.execute(
                    "select password_hash, disabled from users where name = ?", (name,)
                ).fetchone()
            except sqlite3.OperationalError:
                row = None
        if row and not row[1]:
            digest = row[0]
    try:
        _HASHER.verify(digest or _dummy_hash(), password or "")
    except (VerificationError, InvalidHashError):
        return None
    if digest is None:
        return None
    if _HASHER.check_needs_rehash(digest):  # the library's defaults grew: store the new hash
        with closing(_connect(path)) as con, con:
            con.execute(
                "update users set password_hash = ? where name = ?", (_HASHER.hash(password), name)
            )
    return get(name, path)


def is_argon2id(digest: str) -> bool:
    return digest.startswith("$argon2id$")


def read_password(stdin=None, prompt=getpass.getpass) -> str:
    """The new password: asked twice at a terminal, else the first line of stdin."""
    import sys

    stdin = stdin or sys.stdin
    if not stdin.isatty():
        return stdin.readline().rstrip("\r\n")
    first = prompt("Password: ")
    check_password(first)
    if prompt("Password (again): ") != first:
        raise UserError("the two passwords differ")
    return first
