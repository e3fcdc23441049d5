"""Plain-text mail: through SMTP when ``settings.smtp_url`` is set, else into the local outbox.

The outbox (``<data_dir>/outbox``, one ``.eml`` file a message) is the embedded default: the admin
console and the tests read it with :func:`read_outbox`. Files are private (0600 in a 0700 folder)
because mails carry sign-in and reset links.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import smtplib
import ssl
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr, parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from studio_app import metrics
from studio_app.settings import Settings

SMTP_TIMEOUT_SECONDS = 10
STARTTLS_PORT = 587
IMPLICIT_TLS_PORT = 465


class MailError(Exception):
    """A mail that could not be sent; the message never contains the SMTP password."""


@dataclasses.dataclass(frozen=True)
class OutboxMail:
    path: Path
    to: str
    subject: str
    text: str
    sent_at: datetime


@dataclasses.dataclass(frozen=True)
class _SmtpServer:
    implicit_tls: bool
    host: str
    port: int
    username: str | None
    password: str | None = dataclasses.field(repr=False)


def send_mail(settings: Settings, to: str, subject: str, text: str) -> None:
    message = build_message(settings, to, subject, text)
    if settings.smtp_url:
        try:
            _send_smtp(_smtp_server(settings.smtp_url), message)
        except MailError:
            metrics.count_mail_failure()
            raise
    else:
        _write_to_outbox(settings.outbox_dir, message)


def build_message(settings: Settings, to: str, subject: str, text: str) -> EmailMessage:
    """Header values with line breaks raise ValueError (the email policy refuses header injection)."""
    message = EmailMessage(policy=policy.default)
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=_sender_domain(settings.mail_from))
    # RFC 3834: our mails are automatic, so autoresponders do not answer them (and the privacy mailbox ignores them).
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text + footer(settings))
    return message


def footer(settings: Settings) -> str:
    return f"\n--\nAzekia Studio. Questions about your personal data: write to {settings.privacy_contact}\n"


def read_outbox(settings: Settings) -> list[OutboxMail]:
    """Every mail in the outbox, newest last (file names start with their UTC timestamp)."""
    folder = settings.outbox_dir
    if not folder.is_dir():
        return []
    return [_read_outbox_file(path) for path in sorted(folder.glob("[!.]*.eml"))]


def _sender_domain(mail_from: str) -> str:
    # make_msgid would otherwise ask DNS for this machine's name, which can take seconds.
    _, address = parseaddr(mail_from)
    return address.rpartition("@")[2] or "localhost"


def _smtp_server(smtp_url: str) -> _SmtpServer:
    parts = urlsplit(smtp_url)
    implicit_tls = parts.scheme == "smtps"
    return _SmtpServer(
        implicit_tls=implicit_tls,
        host=parts.hostname or "",
        port=parts.port or (IMPLICIT_TLS_PORT if implicit_tls else STARTTLS_PORT),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _send_smtp(server: _SmtpServer, message: EmailMessage) -> None:
    try:
        with _connect(server) as client:
            _secure_and_log_in(client, server)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        reason = _redacted(f"{type(error).__name__}: {error}", server.password)
        # from None: the chained exception would print the server's reply in full in tracebacks.
        raise MailError(f"cannot send mail through {server.host}:{server.port} ({reason})") from None


def _connect(server: _SmtpServer) -> smtplib.SMTP:
    if server.implicit_tls:
        return smtplib.SMTP_SSL(
            server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=ssl.create_default_context()
        )
    return smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)


def _secure_and_log_in(client: smtplib.SMTP, server: _SmtpServer) -> None:
    client.ehlo()
    encrypted = server.implicit_tls
    if not encrypted and client.has_extn("starttls"):
        client.starttls(context=ssl.create_default_context())
        client.ehlo()
        encrypted = True
    if server.username is None:
        return
    if not encrypted:
        raise smtplib.SMTPException("the server offers no STARTTLS; refusing to send the password in clear")
    client.login(server.username, server.password or "")


def _redacted(text: str, password: str | None) -> str:
    return text.replace(password, "***") if password else text


def _write_to_outbox(folder: Path, message: EmailMessage) -> Path:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = folder / f"{stamp}-{secrets.token_hex(6)}.eml"
    temporary = folder / f".{path.name}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(message.as_bytes())
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
    return path


def _read_outbox_file(path: Path) -> OutboxMail:
    with path.open("rb") as file:
        message = BytesParser(policy=policy.default).parse(file)
    body = message.get_body(preferencelist=("plain",))
    return OutboxMail(
        path=path,
        to=str(message["To"]),
        subject=str(message["Subject"]),
        text=body.get_content() if body is not None else "",
        sent_at=parsedate_to_datetime(str(message["Date"])),
    )
