"""Send what the outbox holds through ``$CSWH_SMTP_URL`` (contract section 2).

``smtp://host:port`` speaks STARTTLS when the server offers it; ``smtps://host:port`` is SSL
from the start. Credentials come from ``CSWH_SMTP_USER`` / ``CSWH_SMTP_PASSWORD`` (a login is
attempted only when a user is set). The sender address is ``CSWH_SMTP_FROM`` (default
``cs-noreply@localhost``).

Nothing is sent twice: a message is claimed (``sending``) in a transaction before it goes to
the server and marked ``sent`` right after the server accepts it; a failure marks it
``failed`` with the error and a backoff, and a later run retries it. At most ``limit``
messages per run.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from dagster_project import app_store
from dagster_project.notify import outbox

DEFAULT_LIMIT = 200
DEFAULT_FROM = "cs-noreply@localhost"
TIMEOUT_S = 30


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"sent {self.sent}, failed {self.failed}, suppressed at send {self.suppressed}"
        return text + "".join(f"\n  {e}" for e in self.errors[:5])


def smtp_settings(url: str | None = None) -> tuple[str, str, int]:
    """(scheme, host, port) of ``$CSWH_SMTP_URL``; ValueError says what is wrong."""
    url = url or os.environ.get("CSWH_SMTP_URL")
    if not url:
        raise ValueError("CSWH_SMTP_URL is not set (smtp://host:port or smtps://host:port)")
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(
            f"CSWH_SMTP_URL must be smtp://host:port or smtps://host:port, not {url!r}"
        )
    return parts.scheme, parts.hostname, parts.port or (465 if parts.scheme == "smtps" else 25)


def connect(url: str | None = None) -> smtplib.SMTP:
    scheme, host, port = smtp_settings(url)
    if scheme == "smtps":
        server: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=TIMEOUT_S, context=ssl.create_default_context()
        )
    else:
        server = smtplib.SMTP(host, port, timeout=TIMEOUT_S)
        server.ehlo()
        if server.has_extn("starttls"):
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
    user = os.environ.get("CSWH_SMTP_USER")
    if user:
        server.login(user, os.environ.get("CSWH_SMTP_PASSWORD", ""))
    return server


def mime(message: outbox.Message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipients
    mail["Subject"] = message.subject
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = make_msgid(idstring=message.message_id[:16])
    mail["X-CSWH-Message-Id"] = message.message_id
    mail.set_content(message.body, charset="utf-8")
    return mail


def send(
    app_db: Path,
    *,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
    url: str | None = None,
    opted_out: dict[str, str] | None = None,
) -> SendResult:
    """Send up to ``limit`` due messages; ``now`` (Japan time, naive) decides which failed
    ones are due again (tests pass it to step over the backoff)."""
    now = now or app_store.now_jst()
    smtp_settings(url)  # a wrong URL is a usage error, before anything is claimed
    result = SendResult()
    claimed = outbox.claim(app_db, now, limit)
    if not claimed:
        return result
    opted_out = opted_out or {}
    sender = os.environ.get("CSWH_SMTP_FROM") or DEFAULT_FROM
    server: smtplib.SMTP | None = None
    try:
        for message in claimed:
            # An opt-out recorded after the message was queued still stops it.
            late = next(
                (opted_out[a] for a in message.recipients.split(",") if a in opted_out), None
            )
            if late:
                outbox.mark_suppressed(app_db, message.message_id, late)
                result.suppressed += 1
                continue
            try:
                if server is None:
                    server = connect(url)
                server.send_message(mime(message, sender))
            except (OSError, smtplib.SMTPException) as exc:
                error = f"{type(exc).__name__}: {exc}"
                outbox.mark_failed(app_db, message, error, now)
                result.failed += 1
                result.errors.append(f"{message.message_id}: {error}")
                if isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
                    server = _close(server)
                continue
            outbox.mark_sent(app_db, message.message_id, now)
            result.sent += 1
    finally:
        _close(server)
    return result


def _close(server: smtplib.SMTP | None) -> None:
    if server is not None:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return None
