"""Customers' personal data: the pseudonymous person key, its salt, and file modes.

**Person key.** Analysts' serving copy holds no e-mail address or name of a customer's
people. A person appears as ``person_key`` = sha256(salt || e-mail) in lower-case hex, the
e-mail normalised the way identity matching does it (dbt macro ``normalise_email``:
lower(trim())). dbt computes it (macro ``person_key``); ``person_key`` here is the same
function in Python (tests, the restricted copy's checks). The same e-mail and salt give the
same key on every run; another salt gives other keys (rotation, SECURITY.md).

**Salt.** ``$CSWH_PERSON_KEY_SALT`` if set, else the file ``$CSWH_SECRETS_DIR/person_key.salt``
(default ``data/secrets``; folder 0700, file 0600), created on the first run with
``secrets.token_hex(32)`` and kept. dbt receives it as ``DBT_ENV_SECRET_CSWH_PERSON_KEY_SALT``
(profiles.yml hands it to the dbt-duckdb plugin ``dagster_project.dbt_person_key``): dbt
accepts ``DBT_ENV_SECRET_*`` variables only in profiles.yml and scrubs their values from its
logs, and a profile value never reaches manifest.json or run_results.json (a ``--vars`` value
would).

**File modes.** Everything the pipeline writes is readable by its owner only (umask 0o077,
files 0600), or also by the owner's group with ``CSWH_SHARE_GROUP=1`` (umask 0o027, files
0640) for a dashboard that runs as another user of the same group. The restricted copy and
the secrets stay 0600 either way.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

SALT_ENV = "CSWH_PERSON_KEY_SALT"
DBT_SALT_ENV = "DBT_ENV_SECRET_CSWH_PERSON_KEY_SALT"
SALT_FILE = "person_key.salt"
SHARE_GROUP_ENV = "CSWH_SHARE_GROUP"
# An e-mail address inside free text (quarantined raw rows, GX samples). The serving copy's
# scan (tests/test_privacy.py) uses the same pattern.
EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
# What an e-mail address inside dq free text becomes in the serving copy.
EMAIL_TOKEN = "<email>"


def secrets_dir() -> Path:
    from dagster_project.config import _path

    return _path("CSWH_SECRETS_DIR")


def person_key_salt() -> str:
    """The salt: ``$CSWH_PERSON_KEY_SALT``, else the secrets file (created on first use)."""
    given = os.environ.get(SALT_ENV)
    if given:
        return given
    folder = secrets_dir()
    path = folder / SALT_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)
        tmp = folder / f".{SALT_FILE}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        try:  # a concurrent first run may have written one already: keep the first
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    salt = path.read_text().strip()
    if not salt:
        raise ValueError(f"{path} is empty: delete it (a new salt changes every person_key)")
    return salt


def export_salt() -> None:
    """Put the salt where dbt's profile reads it (a secret variable, scrubbed from dbt logs)."""
    os.environ[DBT_SALT_ENV] = person_key_salt()


def normalise_email(email: str | None) -> str | None:
    """As dbt's macro normalise_email: lower(trim()); empty = no address."""
    if email is None:
        return None
    text = email.strip().lower()
    return text or None


def person_key(email: str | None, salt: str) -> str | None:
    """sha256(salt || normalised e-mail), lower-case hex; None without an address."""
    text = normalise_email(email)
    if text is None:
        return None
    return hashlib.sha256((salt + text).encode("utf-8")).hexdigest()


# --- file modes -----------------------------------------------------------------------------


def share_group() -> bool:
    return (os.environ.get(SHARE_GROUP_ENV) or "").strip().lower() in {"1", "true", "yes"}


def umask() -> int:
    return 0o027 if share_group() else 0o077


def file_mode() -> int:
    """Mode of a file the pipeline writes (not the restricted copy or the secrets: 0600)."""
    return 0o640 if share_group() else 0o600


def apply_umask() -> None:
    """Called at ``cswh`` start: every file and folder created afterwards (warehouse, serving
    copy, app store, Dagster home, docs, dbt's target) is the owner's (and the group's)."""
    os.umask(umask())


def restrict(path: Path, mode: int | None = None) -> None:
    """chmod ``path`` to ``mode`` (default file_mode()); ``os.replace`` keeps the temporary
    file's mode, so a published file is chmod-ed before it is swapped in."""
    os.chmod(path, file_mode() if mode is None else mode)


def restrict_tree(folder: Path) -> None:
    """chmod a copied tree (shutil.copytree keeps the source's modes) to ours."""
    dir_mode = 0o750 if share_group() else 0o700
    os.chmod(folder, dir_mode)
    for path in folder.rglob("*"):
        os.chmod(path, dir_mode if path.is_dir() else file_mode())
