"""A tiny in-process SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

Enough to receive what ``smtplib`` sends; given a certificate it also offers STARTTLS and then
AUTH PLAIN (RFC 3207, RFC 4954). aiosmtpd is not a dependency.
"""

from __future__ import annotations

import base64
import dataclasses
import socketserver
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@dataclasses.dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: bytes
    encrypted: bool


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.encrypted = False
        self.sender = ""
        self.recipients: list[str] = []
        self._reply("220 test-smtp ready")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb == "QUIT":
                self._reply("221 bye")
                return
            self._answer(verb, command)

    def finish(self) -> None:
        super().finish()
        if self.encrypted:
            # The server closes the plain socket it accepted, not the TLS socket that replaced it.
            self.connection.close()

    def _answer(self, verb: str, command: str) -> None:
        if verb == "EHLO":
            self._reply("250-test-smtp", "250-8BITMIME", *self._extensions(), "250 SMTPUTF8")
        elif verb == "STAR" and self._offers_starttls():
            self._start_tls()
        elif verb == "AUTH" and self.encrypted:
            self._authenticate(command)
        elif verb == "HELO":
            self._reply("250 test-smtp")
        elif verb == "MAIL":
            self.sender, self.recipients = _address(command), []
            self._reply("250 ok")
        elif verb == "RCPT":
            self.recipients.append(_address(command))
            self._reply("250 ok")
        elif verb == "DATA":
            self._receive_data()
        elif verb in ("RSET", "NOOP"):
            self._reply("250 ok")
        else:
            self._reply("502 not implemented")

    def _offers_starttls(self) -> bool:
        return self.server.tls_context is not None and not self.encrypted

    def _extensions(self) -> list[str]:
        if self._offers_starttls():
            return ["250-STARTTLS"]
        return ["250-AUTH PLAIN"] if self.encrypted else []

    def _start_tls(self) -> None:
        self._reply("220 go ahead")
        self.connection = self.server.tls_context.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb", buffering=0)
        self.encrypted = True

    def _authenticate(self, command: str) -> None:
        _, username, password = base64.b64decode(command.split()[2]).decode().split("\0")
        self.server.logins.append((username, password))
        self._reply("235 authenticated")

    def _receive_data(self) -> None:
        self._reply("354 end with <CRLF>.<CRLF>")
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b".") else line)
        mail = ReceivedMail(self.sender, self.recipients, b"".join(lines), self.encrypted)
        self.server.received.append(mail)
        self._reply("250 queued")

    def _reply(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())


def _address(command: str) -> str:
    return command.partition(":")[2].split()[0].strip("<>")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, tls_context: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.tls_context = tls_context
        self.received: list[ReceivedMail] = []
        self.logins: list[tuple[str, str]] = []


@contextmanager
def running_smtp_server(certificate: tuple[Path, Path] | None = None) -> Iterator[_SmtpServer]:
    """Yields the server; ``server.server_address[1]`` is its port, ``server.received`` the mails.

    With ``certificate`` (certificate path, key path) it offers STARTTLS, then AUTH PLAIN.
    """
    server = _SmtpServer(_tls_context(certificate) if certificate else None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _tls_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context
