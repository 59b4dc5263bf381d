"""The outbox: automated e-mails to tech-touch customers and digests for CSMs and managers.

    queue.py    the messages of the latest publish -> outbox rows (deterministic ids)
    digests.py  the CSMs' daily and the managers' weekly digest; the staff directory
    render.py   Jinja2 templates (customer mails beside the playbooks seed)
    send.py     SMTP: claim, send, mark; retries with backoff
    outbox.py   the outbox table of the app store

``cswh notify`` queues; ``cswh notify --send`` also sends. The Dagster asset after the publish
queues, and sends only where ``CSWH_NOTIFY_SEND=1``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from dagster_project.config import Settings
from dagster_project.notify import queue as queueing  # the module; its function is queueing.queue
from dagster_project.notify.send import DEFAULT_LIMIT, SendResult, send, smtp_settings

SEND_ENV = "CSWH_NOTIFY_SEND"


@dataclass
class NotifyResult:
    queued: queueing.QueueResult
    sent: SendResult | None

    def summary(self) -> str:
        lines = [self.queued.summary(), *(f"  note: {n}" for n in self.queued.notes)]
        lines.append(
            "  " + (self.sent.summary() if self.sent else "queue only (pass --send to send)")
        )
        return "\n".join(lines)


def send_enabled() -> bool:
    """The deployment says the pipeline may send (env CSWH_NOTIFY_SEND=1)."""
    return os.environ.get(SEND_ENV, "").strip().lower() in ("1", "true", "yes")


def notify(
    settings: Settings | None = None,
    *,
    do_send: bool = False,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
    smtp_url: str | None = None,
) -> NotifyResult:
    """Queue the latest publish's messages; with ``do_send`` also send what is due."""
    settings = settings or Settings.from_env()
    if do_send:
        smtp_settings(smtp_url)  # a wrong or missing URL is refused before anything is done
    queued = queueing.queue(
        settings.serving, settings.app_db, restricted=settings.restricted, now=now
    )
    sent = None
    if do_send:
        sent = send(
            settings.app_db,
            limit=limit,
            now=now,
            url=smtp_url,
            opted_out=queueing.opted_out(None, settings.app_db),
        )
    return NotifyResult(queued, sent)


__all__ = ["NotifyResult", "notify", "send_enabled"]
