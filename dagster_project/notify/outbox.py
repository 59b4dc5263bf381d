"""The outbox table of the app store: queue, claim, mark, hold and release messages.

Every write is one short ``BEGIN IMMEDIATE`` transaction, like the store's other writes, so
the pipeline's asset, ``cswh notify`` and the dashboard can work on it at once.

A message's life: ``queued`` -> ``sending`` (claimed by one sender, in a transaction, before
anything goes to the SMTP server) -> ``sent``, or ``failed`` (attempts + 1, last_error, and
``next_attempt_at`` after an exponential backoff; sent by a later run once that time has
passed). ``suppressed`` (an opted-out contact, no address) and ``held`` (by a person on the
Outbox page) are never sent; a held message is released back to ``queued``. A message left in
``sending`` (the sender died between the SMTP server's answer and the mark) is never retried
by itself: it may have gone out, and nothing is sent twice; the page shows it, and a person
releases it after checking.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path

from dagster_project import app_store

KINDS = ("cta_email", "csm_digest", "manager_digest")
STATUSES = ("queued", "held", "sending", "sent", "failed", "suppressed")
SENDABLE = ("queued", "failed")  # failed: once next_attempt_at has passed
BACKOFF_FIRST = timedelta(minutes=5)  # wait after the first failure; doubles after each
BACKOFF_MAX = timedelta(hours=24)
MAX_ATTEMPTS = 8  # after this many failures a message stays failed until a person releases it


@dataclass(frozen=True)
class Message:
    message_id: str
    kind: str
    recipients: str  # e-mail addresses, comma separated (empty: none known)
    subject: str
    body: str
    status: str
    created_at: str
    about_date: str | None = None  # D of the publish (cta_email, csm_digest) or the week's Monday
    cta_id: str | None = None
    account_id: str | None = None
    csm: str | None = None
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: str | None = None
    sent_at: str | None = None
    suppressed_reason: str | None = None
    claimed_at: str | None = None


COLUMNS = tuple(f.name for f in fields(Message))


def message_id(kind: str, recipient: str, about: str) -> str:
    """Deterministic: the same kind, recipient (address, or the CSM / manager's name) and
    subject matter (the CTA id, or the digest's date) always give the same id."""
    return hashlib.sha256("\x1f".join((kind, recipient, about)).encode()).hexdigest()[:32]


def ts(value: datetime) -> str:
    return value.strftime(app_store.TS_FORMAT)


@contextmanager
def _write(path: Path):
    path = app_store.init_store(path)
    with closing(app_store._connect(path)) as con:
        con.execute("begin immediate")
        try:
            yield con
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise


def add(path: Path, messages: Iterable[Message]) -> int:
    """Queue messages whose id is not in the outbox yet; returns how many were new."""
    rows = [asdict(m) for m in messages]
    if not rows:
        return 0
    with _write(path) as con:
        before = con.total_changes
        con.executemany(
            f"insert or ignore into outbox ({', '.join(COLUMNS)}) "
            f"values ({', '.join(':' + c for c in COLUMNS)})",
            rows,
        )
        return con.total_changes - before


def read(
    path: Path, statuses: Iterable[str] | None = None, kinds: Iterable[str] | None = None
) -> list[Message]:
    """Messages, newest first (by created_at, then id); a store without an outbox is empty."""
    if not Path(path).exists():
        return []
    sql, params = f"select {', '.join(COLUMNS)} from outbox where 1 = 1", []
    for column, values in (("status", statuses), ("kind", kinds)):
        if values is not None:
            values = list(values)
            sql += f" and {column} in ({', '.join('?' for _ in values) or 'null'})"
            params += values
    sql += " order by created_at desc, message_id"
    with closing(app_store._connect(Path(path))) as con:
        try:
            rows = con.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
    return [Message(**dict(zip(COLUMNS, r, strict=True))) for r in rows]


def claim(path: Path, now: datetime, limit: int) -> list[Message]:
    """Mark up to ``limit`` sendable messages ``sending`` and return them (oldest first): one
    transaction, so two senders never take the same message."""
    with _write(path) as con:
        rows = con.execute(
            f"select {', '.join(COLUMNS)} from outbox where status = 'queued' or (status = "
            "'failed' and next_attempt_at is not null and next_attempt_at <= ?) "
            "order by created_at, message_id limit ?",
            (ts(now), int(limit)),
        ).fetchall()
        claimed = [Message(**dict(zip(COLUMNS, r, strict=True))) for r in rows]
        con.executemany(
            "update outbox set status = 'sending', claimed_at = ? where message_id = ?",
            [(ts(now), m.message_id) for m in claimed],
        )
    return claimed


def mark_sent(path: Path, message_id_: str, at: datetime) -> None:
    with _write(path) as con:
        con.execute(
            "update outbox set status = 'sent', sent_at = ?, attempts = attempts + 1, "
            "last_error = null, next_attempt_at = null where message_id = ? and status = 'sending'",
            (ts(at), message_id_),
        )


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 5 min, 10, 20, ... at most a day."""
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


def mark_failed(path: Path, message: Message, error: str, at: datetime) -> None:
    attempts = message.attempts + 1
    retry = ts(at + backoff(attempts)) if attempts < MAX_ATTEMPTS else None
    with _write(path) as con:
        con.execute(
            "update outbox set status = 'failed', attempts = ?, last_error = ?, "
            "next_attempt_at = ? where message_id = ? and status = 'sending'",
            (attempts, error[:1000], retry, message.message_id),
        )


def mark_suppressed(path: Path, message_id_: str, reason: str) -> None:
    """A claimed message whose recipient opted out after it was queued."""
    with _write(path) as con:
        con.execute(
            "update outbox set status = 'suppressed', suppressed_reason = ? "
            "where message_id = ? and status = 'sending'",
            (reason, message_id_),
        )


def hold(path: Path, ids: Iterable[str]) -> int:
    """Keep queued or failed messages from being sent; returns how many changed."""
    return _move(path, ids, ("queued", "failed"), "held")


def release(path: Path, ids: Iterable[str]) -> int:
    """Back to queued (sent by the next ``--send``): held, failed, and ``sending`` left by a
    sender that died (the person releasing it has checked it did not go out)."""
    return _move(path, ids, ("held", "failed", "sending"), "queued")


def _move(path: Path, ids: Iterable[str], from_: tuple[str, ...], to: str) -> int:
    ids = list(ids)
    if not ids:
        return 0
    with _write(path) as con:
        before = con.total_changes
        con.executemany(
            f"update outbox set status = ?, next_attempt_at = null, claimed_at = null "
            f"where message_id = ? and status in ({', '.join('?' for _ in from_)})",
            [(to, i, *from_) for i in ids],
        )
        return con.total_changes - before


def counts(path: Path) -> dict[str, int]:
    out = {s: 0 for s in STATUSES}
    for m in read(path):
        out[m.status] = out.get(m.status, 0) + 1
    return out
