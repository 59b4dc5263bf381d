"""`cswh users`: the dashboard's local users, through the real CLI (dagster_project/users.py)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from dagster_project import users
from tests.support import CSWH

PASSWORD = "correct horse battery staple"


def cswh_users(args: list[str], db: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSWH_")}
    env["CSWH_USERS_DB"] = str(db)
    return subprocess.run(
        [*CSWH, "users", *args], input=stdin, env=env, capture_output=True, text=True, timeout=120
    )


def rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "select name, role, password_hash, created_by, disabled from users order by name"
        ).fetchall()


def test_add_stores_an_argon2id_hash_in_an_owner_only_file(tmp_path: Path) -> None:
    db = tmp_path / "cfg" / "users.sqlite"
    done = cswh_users(["add", "佐藤 花子", "--role", "csm"], db, PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    ((name, role, digest, created_by, disabled),) = rows(db)
    assert (name, role, disabled) == ("佐藤 花子", "csm", 0)
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    assert created_by  # the OS user who ran it
    assert PASSWORD.encode() not in db.read_bytes()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert users.verify("佐藤 花子", PASSWORD, db).role == "csm"
    assert users.verify("佐藤 花子", PASSWORD + "x", db) is None
    assert users.verify("nobody", PASSWORD, db) is None

    listed = cswh_users(["list"], db)
    assert listed.returncode == 0 and "佐藤 花子\tcsm\tenabled" in listed.stdout
    assert "$argon2" not in listed.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        (["add", "bob", "--role", "boss"], PASSWORD, "the roles are manager, csm, cs_ops, auditor"),
        (["add", "bob", "--role", "csm"], "short pass\n", "at least 12 characters"),
        (["add", "bob", "--role", "csm"], "\n", "the password is empty"),
        (["add", "  ", "--role", "csm"], PASSWORD, "a user name is required"),
    ],
)
def test_a_bad_role_or_password_exits_2_and_writes_nothing(tmp_path, args, stdin, says) -> None:
    db = tmp_path / "users.sqlite"
    done = cswh_users(args, db, stdin)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr
    assert not db.exists() or rows(db) == []


def test_an_existing_name_needs_reset_and_disable_stops_sign_in(tmp_path: Path) -> None:
    db = tmp_path / "users.sqlite"
    assert cswh_users(["add", "ops", "--role", "cs_ops"], db, PASSWORD).returncode == 0
    again = cswh_users(["add", "ops", "--role", "manager"], db, PASSWORD + "2")
    assert again.returncode == 2 and "--reset" in again.stderr
    assert [r[1] for r in rows(db)] == ["cs_ops"]
    reset = cswh_users(["add", "ops", "--role", "manager", "--reset"], db, PASSWORD + "2")
    assert reset.returncode == 0, reset.stderr
    assert users.verify("ops", PASSWORD, db) is None
    assert users.verify("ops", PASSWORD + "2", db).role == "manager"
    assert cswh_users(["disable", "ops"], db).returncode == 0
    assert users.verify("ops", PASSWORD + "2", db) is None  # the right password, disabled


def test_an_oidc_identity_has_a_role_but_no_local_password(tmp_path: Path) -> None:
    db = tmp_path / "users.sqlite"
    done = cswh_users(["add", "alice@corp.example", "--role", "csm", "--no-password"], db)
    assert done.returncode == 0, done.stderr
    ((_, role, digest, _, _),) = rows(db)
    assert role == "csm" and digest is None
    assert users.verify("alice@corp.example", "", db) is None
    assert users.verify("alice@corp.example", PASSWORD, db) is None


def test_the_users_file_may_not_live_in_the_repository() -> None:
    from dagster_project.config import PROJECT_ROOT

    inside = PROJECT_ROOT / "data" / "users-test.sqlite"
    done = cswh_users(["add", "x", "--role", "csm"], inside, PASSWORD)
    assert done.returncode == 2 and "inside the repository" in done.stderr
    assert not inside.exists()
