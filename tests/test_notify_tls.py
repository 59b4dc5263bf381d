"""Sending over TLS with a login: STARTTLS on smtp:// (the server offers it), SSL from the start
on smtps://, credentials from CSWH_SMTP_USER / CSWH_SMTP_PASSWORD. A real aiosmtpd server with a
self-signed certificate the test makes and trusts (SSL_CERT_FILE)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest

from dagster_project.notify import outbox
from dagster_project.notify.outbox import Message
from dagster_project.notify.send import send
from tests.test_notify import Inbox, free_port

USER, PASSWORD = "cs-ops", "s3cret"


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_tls_and_login(scheme, tmp_path, monkeypatch):
    from aiosmtpd.controller import Controller

    cert, key = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test's certificate
    monkeypatch.setenv("CSWH_SMTP_USER", USER)
    monkeypatch.setenv("CSWH_SMTP_PASSWORD", PASSWORD)
    inbox, port = Inbox(), free_port()
    tls = (
        {"tls_context": context, "require_starttls": True}
        if scheme == "smtp"
        # aiosmtpd offers AUTH only after its own STARTTLS; on an SSL connection it is safe
        else {"ssl_context": context, "auth_require_tls": False}
    )
    controller = Controller(
        inbox,
        hostname="localhost",
        port=port,
        authenticator=_authenticator,
        auth_required=True,
        server_hostname="localhost",
        **tls,
    )
    app_db = tmp_path / "app.sqlite"
    outbox.add(
        app_db,
        [
            Message(
                message_id="m1",
                kind="cta_email",
                recipients="someone@example.jp",
                subject="件名 テスト",
                body="本文です。\n",
                status="queued",
                created_at="2026-11-01 09:00:00.000000",
            )
        ],
    )
    controller.start()
    try:
        result = send(app_db, url=f"{scheme}://localhost:{port}")
    finally:
        controller.stop()
    assert result.sent == 1, result.errors
    ((to, mail),) = inbox.mails
    assert to == ["someone@example.jp"] and mail["Subject"] == "件名 テスト"
