"""Queue the messages of the latest publish in the outbox (``cswh notify`` without --send).

Reads the serving copy (read-only, briefly): the CTA ledger, the accounts, the playbooks
(seed, as published); and the restricted copy (``$CSWH_RESTRICTED``, written by the same
publish; the serving copy holds no e-mail address): the contacts (``people.contacts``) and
the opt-outs (``people.opt_outs``, plus the app store's own ``opt_outs``, which may be newer
than the publish).

- ``cta_email``: for every open CTA whose playbook channel is ``automated_email`` and whose
  playbook SLA has not run out (``due_on >= D``: the mail is still timely; an older CTA is not
  "new"), one message per contact of the account whose role is in the playbook's
  ``recipient_roles`` (seed playbooks). One message per person: contacts do not see each
  other's addresses, and an opt-out suppresses exactly that person's message.
- ``csm_digest`` and ``manager_digest``: digests.py.

Ids are deterministic (outbox.message_id), so queueing the same publish again adds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb

from dagster_project import app_store
from dagster_project import restricted as restricted_copy
from dagster_project.notify import outbox
from dagster_project.notify.outbox import Message
from dagster_project.notify.render import Templates
from dagster_project.sources import CONTACT_ROLES

AUTOMATED_EMAIL = "automated_email"  # the seed playbooks' channel code this outbox serves


@contextmanager
def serving_connection(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    if not Path(path).exists():
        raise FileNotFoundError(f"no serving copy at {path}: run `cswh run` first")
    with closing(duckdb.connect(str(path), read_only=True)) as con:
        yield con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = ()) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def as_of(con: duckdb.DuckDBPyConnection) -> date:
    """D of the latest publish (dq.publish_log), else the latest health snapshot."""
    if has_table(con, "dq", "publish_log"):
        found = con.execute(
            "select as_of_date from dq.publish_log where as_of_date is not null "
            "order by published_at desc limit 1"
        ).fetchall()
        if found:
            return found[0][0]
    return con.execute("select max(snapshot_date) from marts.fct_account_health").fetchall()[0][0]


def opted_out(people: duckdb.DuckDBPyConnection | None, app_db: Path) -> dict[str, str]:
    """e-mail (lower-cased, trimmed) -> why it is suppressed, from both homes of opt-outs
    (``people``: a connection to the restricted copy)."""
    found: dict[str, str] = {}
    if people is not None and has_table(people, "people", "opt_outs"):
        for r in rows(people, "select email, opted_out_at from people.opt_outs"):
            found[r["email"]] = f"opted out {r['opted_out_at']:%Y-%m-%d} (cs_inputs/opt_outs)"
    for r in app_store.read_rows("opt_outs", app_db):
        email = (r["email"] or "").strip().lower()
        found.setdefault(email, f"opted out {str(r['opted_out_at'])[:10]} (dashboard)")
    return found


@dataclass
class QueueResult:
    as_of: date
    queued: dict[str, int] = field(default_factory=dict)  # kind -> new rows
    considered: dict[str, int] = field(default_factory=dict)  # kind -> messages built
    notes: list[str] = field(default_factory=list)  # sections left out and why

    def summary(self) -> str:
        parts = [
            f"{self.queued.get(k, 0)} new of {self.considered.get(k, 0)} {k}" for k in outbox.KINDS
        ]
        return f"outbox, D = {self.as_of}: " + ", ".join(parts)


def cta_messages(
    con: duckdb.DuckDBPyConnection,
    people: duckdb.DuckDBPyConnection,
    d: date,
    templates: Templates,
    suppressed: dict[str, str],
    now: datetime,
) -> list[Message]:
    ctas = rows(
        con,
        "select c.cta_id, c.account_id, c.cta_type, c.triggered_on, c.due_on, c.reason, "
        "c.metric_value, c.threshold, c.priority, c.playbook_id, a.account_name, a.segment, "
        "p.action, p.recipient_roles "
        "from marts.fct_cta_candidates c "
        "join seeds.playbooks p on p.playbook_id = c.playbook_id "
        "left join marts.dim_accounts a on a.account_id = c.account_id "
        "where c.status = 'open' and p.channel = ? and c.due_on >= ? "
        "order by c.triggered_on, c.cta_id",
        [AUTOMATED_EMAIL, d],
    )
    contacts: dict[str, list[dict]] = {}
    for c in rows(
        people,
        "select account_id, contact_id, full_name, email, role from people.contacts "
        "order by account_id, contact_id",
    ):
        contacts.setdefault(c["account_id"], []).append(c)
    out: list[Message] = []
    for cta in ctas:
        roles = (cta["recipient_roles"] or "").split()
        unknown = [r for r in roles if r not in CONTACT_ROLES]
        if unknown:
            raise ValueError(
                f"seed playbooks, {cta['playbook_id']}: recipient_roles {unknown} are not "
                f"contact roles ({', '.join(CONTACT_ROLES)})"
            )
        people = [c for c in contacts.get(cta["account_id"], []) if c["role"] in roles]
        if not people:  # visible on the page, never sent
            out.append(
                Message(
                    message_id=outbox.message_id("cta_email", "", cta["cta_id"]),
                    kind="cta_email",
                    recipients="",
                    subject=f"({cta['cta_type']}: {cta['account_name'] or cta['account_id']})",
                    body="",
                    status="suppressed",
                    suppressed_reason="no contact with role " + " / ".join(roles or ["(none)"]),
                    created_at=outbox.ts(now),
                    about_date=d.isoformat(),
                    cta_id=cta["cta_id"],
                    account_id=cta["account_id"],
                )
            )
            continue
        for person in people:
            email = (person["email"] or "").strip().lower()
            rendered = templates.cta_email(
                cta["cta_type"], {"cta": cta, "contact": person, "as_of": d}
            )
            reason = suppressed.get(email) if email else "no e-mail address"
            out.append(
                Message(
                    message_id=outbox.message_id("cta_email", email, cta["cta_id"]),
                    kind="cta_email",
                    recipients=email,
                    subject=rendered.subject,
                    body=rendered.body,
                    status="suppressed" if reason else "queued",
                    suppressed_reason=reason,
                    created_at=outbox.ts(now),
                    about_date=d.isoformat(),
                    cta_id=cta["cta_id"],
                    account_id=cta["account_id"],
                )
            )
    return out


def queue(
    serving: Path,
    app_db: Path,
    *,
    restricted: Path | None = None,
    now: datetime | None = None,
    staff_file: Path | None = None,
    templates: Templates | None = None,
) -> QueueResult:
    """Build every message of the latest publish and add the ones the outbox lacks
    (``restricted``: the restricted copy, default ``$CSWH_RESTRICTED``)."""
    from dagster_project.config import Settings
    from dagster_project.notify import digests

    now = now or app_store.now_jst()
    templates = templates or Templates()
    staff = digests.read_staff(staff_file)
    restricted = restricted or Settings.from_env().restricted
    with serving_connection(serving) as con, closing(restricted_copy.connect(restricted)) as people:
        d = as_of(con)
        result = QueueResult(as_of=d)
        suppressed = opted_out(people, app_db)
        messages = {
            "cta_email": cta_messages(con, people, d, templates, suppressed, now),
            "csm_digest": digests.csm_digests(con, d, templates, staff, now),
            "manager_digest": digests.manager_digests(con, d, templates, staff, now, result.notes),
        }
    for kind, batch in messages.items():
        result.considered[kind] = len(batch)
        result.queued[kind] = outbox.add(app_db, batch)
    return result
