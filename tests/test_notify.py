"""The outbox (`cswh notify`): queued from a real published serving copy, sent to a real SMTP
server (aiosmtpd) the test starts on a free port, read back as the server received it."""

from __future__ import annotations

import dataclasses
import re
import socket
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from dagster_project import app_store
from dagster_project.config import Settings
from dagster_project.notify import notify, outbox
from dagster_project.notify.send import send
from dagster_project.seeds import read_seed
from dagster_project.sources import CONTACT_ROLES
from tests.support import published_tiny, query, run_cswh

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 1, 9, 0)  # Japan time; the tests own the clock
RATIO_TYPES = ("quota_80", "renewal_low_consumption")  # their templates show percentages
POINT_TYPES = ("health_drop", "health_jump")  # score points


class Inbox:
    """What the SMTP server received: one parsed e-mail per recipient envelope."""

    def __init__(self) -> None:
        self.mails: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        mail = message_from_bytes(envelope.original_content, policy=policy.default)
        self.mails.append((list(envelope.rcpt_tos), mail))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        from aiosmtpd.controller import Controller

        self.port = port or free_port()
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def published(tmp_path_factory, tiny_zone):
    return published_tiny(tmp_path_factory, tiny_zone)


def settings_for(published, tmp_path: Path) -> Settings:
    return dataclasses.replace(
        Settings.from_env(),
        serving=published.serving,
        restricted=published.restricted,
        app_db=tmp_path / "app.sqlite",
    )


def expected_cta_mails(serving: Path, restricted: Path) -> dict[tuple[str, str], dict]:
    """(cta_id, e-mail) -> the CTA, from the serving copy: open CTAs of an automated_email
    playbook still inside its SLA, and the account's contacts of the playbook's roles (from
    the restricted copy: the serving copy holds no e-mail address or name)."""
    d = query(serving, "select max(as_of_date) from dq.publish_log")[0][0]
    ctas = query(
        serving,
        "select c.cta_id, c.account_id, c.cta_type, c.metric_value, c.threshold, "
        "a.account_name, p.recipient_roles from marts.fct_cta_candidates c "
        "join seeds.playbooks p on p.playbook_id = c.playbook_id "
        "join marts.dim_accounts a on a.account_id = c.account_id "
        "where c.status = 'open' and p.channel = 'automated_email' and c.due_on >= ?",
        [d],
    )
    contacts = query(restricted, "select account_id, email, role, full_name from people.contacts")
    out = {}
    for cta_id, account_id, cta_type, value, threshold, name, roles in ctas:
        for acc, email, role, full_name in contacts:
            if acc == account_id and role in roles.split():
                out[(cta_id, email.lower())] = {
                    "cta_type": cta_type,
                    "metric_value": value,
                    "threshold": threshold,
                    "account_name": name,
                    "full_name": full_name,
                }
    return out


def body(mail) -> str:
    return mail.get_body(preferencelist=("plain",)).get_content()


def test_tech_touch_cta_mail_is_sent_once_to_the_right_contacts(published, tmp_path, smtp):
    expected = expected_cta_mails(published.serving, published.restricted)
    assert expected, "the tiny zone should hold an open automated_email CTA with contacts"
    settings = settings_for(published, tmp_path)

    result = notify(settings, do_send=True, smtp_url=smtp.url, now=NOW)

    mails = {
        (m["X-CSWH-Message-Id"], tuple(to)): m
        for to, m in smtp.inbox.mails
        if m["X-CSWH-Message-Id"]
        in {x.message_id for x in outbox.read(settings.app_db, kinds=["cta_email"])}
    }
    sent_to = sorted(to for _, to in mails)
    assert sent_to == sorted((email,) for _, email in expected), "one mail per contact"
    rows = {m.message_id: m for m in outbox.read(settings.app_db, kinds=["cta_email"])}
    checked = 0
    for (message_id, (to,)), mail in mails.items():
        row = rows[message_id]
        cta = expected[(row.cta_id, to)]
        text = body(mail)
        assert row.status == "sent" and row.sent_at
        assert cta["account_name"] in mail["Subject"] and "様" in mail["Subject"]
        assert f"{cta['full_name']} 様" in text and "配信停止" in text
        value, threshold = cta["metric_value"], cta["threshold"]
        if cta["cta_type"] in RATIO_TYPES:  # shown as percent
            numbers = [f"{100 * value:,.0f}%", f"{100 * threshold:,.0f}%"]
        elif cta["cta_type"] in POINT_TYPES:  # score points
            numbers = [f"{value:,.1f} ポイント", f"{threshold:,.0f} ポイント"]
        else:
            continue
        assert all(n in text for n in numbers), (numbers, text)
        checked += 1
    assert checked, "at least one mail's numbers were checked"
    assert result.sent.sent == len(smtp.inbox.mails)

    again = notify(settings, do_send=True, smtp_url=smtp.url, now=NOW + timedelta(days=1))
    assert sum(again.queued.queued.values()) == 0, "a rerun queues nothing"
    assert again.sent.sent == 0 and len(smtp.inbox.mails) == result.sent.sent


def test_an_opted_out_contact_is_suppressed(published, tmp_path, smtp):
    expected = expected_cta_mails(published.serving, published.restricted)
    (cta_id, email), _ = sorted(expected.items())[0]
    settings = settings_for(published, tmp_path)
    app_store.record_opt_out(email.upper(), path=settings.app_db)

    notify(settings, do_send=True, smtp_url=smtp.url, now=NOW)

    row = next(
        m for m in outbox.read(settings.app_db, kinds=["cta_email"]) if m.recipients == email
    )
    assert row.status == "suppressed" and "opted out" in row.suppressed_reason
    assert email not in {a for to, _ in smtp.inbox.mails for a in to}
    others = [k for k in expected if k[1] != email]
    assert len([to for to, m in smtp.inbox.mails if "様" in m["Subject"]]) == len(others)


def test_smtp_down_fails_then_sends_after_the_backoff(published, tmp_path):
    settings = settings_for(published, tmp_path)
    port = free_port()  # nothing listens here yet
    url = f"smtp://127.0.0.1:{port}"
    first = notify(settings, do_send=True, smtp_url=url, now=NOW)
    failed = outbox.read(settings.app_db, statuses=["failed"])
    assert first.sent.sent == 0 and first.sent.failed == len(failed) > 0
    assert all(m.attempts == 1 and m.last_error for m in failed)
    assert all(m.next_attempt_at == outbox.ts(NOW + outbox.BACKOFF_FIRST) for m in failed)

    with SmtpServer(port) as server:
        early = send(settings.app_db, now=NOW + timedelta(minutes=1), url=url)
        assert early.sent == 0 and not server.inbox.mails, "the backoff is respected"
        later = send(settings.app_db, now=NOW + timedelta(minutes=6), url=url)
        assert later.sent == len(failed) == len(server.inbox.mails)
        assert not outbox.read(settings.app_db, statuses=["failed", "sending"])
        assert send(settings.app_db, now=NOW + timedelta(hours=1), url=url).sent == 0
        assert len(server.inbox.mails) == len(failed)


def test_backoff_doubles_and_is_bounded():
    assert [outbox.backoff(n) for n in (1, 2, 3)] == [
        timedelta(minutes=5),
        timedelta(minutes=10),
        timedelta(minutes=20),
    ]
    assert outbox.backoff(30) == outbox.BACKOFF_MAX


def test_the_digest_of_one_csm_lists_exactly_that_csm_s_ctas(published, tmp_path, smtp):
    serving = published.serving
    d = query(serving, "select max(as_of_date) from dq.publish_log")[0][0]
    csm = query(
        serving,
        "select owner from marts.fct_cta_candidates where status = 'open' and owner is not null "
        "group by owner order by count(*) desc, owner limit 1",
    )[0][0]
    mine = {
        r[0]
        for r in query(
            serving,
            "select cta_id from marts.fct_cta_candidates where owner = ? and status = 'open' "
            "and (raised_as_of = ? or due_on <= ?)",
            [csm, d, d],
        )
    }
    assert mine
    staff = tmp_path / "staff.csv"
    staff.write_text(f"name,email,role\n{csm},csm1@example.jp,csm\n部長,boss@example.jp,manager\n")
    settings = settings_for(published, tmp_path)
    from dagster_project.notify import queue as queueing
    from dagster_project.notify.send import send as send_now

    queueing.queue(
        settings.serving,
        settings.app_db,
        restricted=settings.restricted,
        now=NOW,
        staff_file=staff,
    )
    send_now(settings.app_db, now=NOW, url=smtp.url)
    digests = {m.csm: m for m in outbox.read(settings.app_db, kinds=["csm_digest"])}
    listed = set(re.findall(r"cta_id: (\w+)", digests[csm].body))
    assert listed == mine
    overdue = {
        r[0]
        for r in query(
            serving,
            "select cta_id from marts.fct_cta_candidates where owner = ? and status = 'open' "
            "and due_on < ?",
            [csm, d],
        )
    }
    section = digests[csm].body.split("■ 期限を過ぎたCTA")[1].split("■")[0]
    assert set(re.findall(r"cta_id: (\w+)", section)) == overdue
    assert digests[csm].status == "sent" and digests[csm].recipients == "csm1@example.jp"
    others = [m for name, m in digests.items() if name != csm]
    assert all(
        m.status == "suppressed" and "no e-mail address" in m.suppressed_reason for m in others
    )
    inbox = {to[0]: m for to, m in smtp.inbox.mails}
    assert set(re.findall(r"cta_id: (\w+)", body(inbox["csm1@example.jp"]))) == mine
    manager = body(inbox["boss@example.jp"])
    assert "週次KPIダイジェスト" in inbox["boss@example.jp"]["Subject"] and "更新率" in manager


def test_held_messages_wait_until_released(published, tmp_path, smtp):
    settings = settings_for(published, tmp_path)
    notify(settings, now=NOW)  # queue only: the default
    queued = outbox.read(settings.app_db, statuses=["queued"])
    assert queued and not smtp.inbox.mails
    held = queued[0].message_id
    assert outbox.hold(settings.app_db, [held]) == 1
    send(settings.app_db, now=NOW, url=smtp.url)
    assert {m.message_id: m.status for m in outbox.read(settings.app_db)}[held] == "held"
    assert outbox.release(settings.app_db, [held]) == 1
    assert send(settings.app_db, now=NOW, url=smtp.url).sent == 1
    assert {m.message_id: m.status for m in outbox.read(settings.app_db)}[held] == "sent"


def test_the_pipeline_queues_and_sends_nothing_by_default(published):
    """`cswh run` ran the outbox asset after the publish: queued, nothing sent."""
    app_db = Path(published.env["CSWH_APP_DB"])
    rows = outbox.read(app_db)
    assert any(m.kind == "cta_email" and m.status == "queued" for m in rows)
    assert not [m for m in rows if m.status in ("sent", "sending", "failed")]


def test_cswh_notify_command(published, tmp_path):
    env = published.env | {"CSWH_APP_DB": str(tmp_path / "app.sqlite")}
    env.pop("CSWH_SMTP_URL", None)
    queued = run_cswh("notify", env=env, timeout=300)
    assert queued.returncode == 0, queued.stderr
    assert "cta_email" in queued.stdout and "queue only" in queued.stdout
    refused = run_cswh("notify", "--send", env=env, timeout=300)
    assert refused.returncode == 2 and "CSWH_SMTP_URL" in refused.stderr


def test_playbook_recipient_roles_are_contact_roles():
    rows = read_seed("playbooks")
    for row in rows:
        roles = (row.get("recipient_roles") or "").split()
        assert set(roles) <= set(CONTACT_ROLES), row["playbook_id"]
        assert bool(roles) == (row["channel"] == "automated_email"), row["playbook_id"]


def test_each_csm_digest_lists_the_overrides_about_to_expire_on_their_accounts(published, tmp_path):
    serving = published.serving
    expiring = query(
        serving,
        "select a.csm_owner, a.account_name, o.expires_on from marts.fct_health_overrides o "
        "join marts.dim_accounts a on a.account_id = o.account_id "
        "where o.is_expiring_soon and a.csm_owner is not null",
    )
    assert expiring, "the tiny zone's generator writes an override expiring within 14 days"
    # one that is not about to expire stays out of every digest
    later = query(
        serving,
        "select a.account_name from marts.fct_health_overrides o "
        "join marts.dim_accounts a on a.account_id = o.account_id "
        "where o.status = 'active' and not o.is_expiring_soon",
    )
    settings = settings_for(published, tmp_path)
    from dagster_project.notify import queue as queueing

    queueing.queue(settings.serving, settings.app_db, restricted=settings.restricted, now=NOW)
    digests = {m.csm: m.body for m in outbox.read(settings.app_db, kinds=["csm_digest"])}
    for csm in {r[0] for r in expiring}:
        section = digests[csm].split("■ まもなく期限が切れるヘルスオーバーライド")[1]
        mine = sorted(f"・{name}: " for owner, name, _ in expiring if owner == csm)
        listed = sorted(re.findall(r"^・[^:]+: ", section, flags=re.M))
        assert listed == mine
        for owner, _name, expires_on in expiring:
            if owner == csm:
                assert f"{expires_on} まで" in section
        assert not any(f"・{name}: " in section for (name,) in later)
    for csm, text in digests.items():
        if csm not in {r[0] for r in expiring}:
            assert "(0 件)\n" in text.split("■ まもなく期限が切れるヘルスオーバーライド")[1]
