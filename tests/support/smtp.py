"""A tiny in-process SMTP server (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

Enough to receive what ``smtplib`` sends, without TLS or AUTH; aiosmtpd is not a dependency.
"""

from __future__ import annotations

import dataclasses
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@dataclasses.dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: bytes


class _SmtpHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
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

    def _answer(self, verb: str, command: str) -> None:
        if verb == "EHLO":
            self._reply("250-test-smtp", "250-8BITMIME", "250 SMTPUTF8")
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

    def _receive_data(self) -> None:
        self._reply("354 end with <CRLF>.<CRLF>")
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b".") else line)
        self.server.received.append(ReceivedMail(self.sender, self.recipients, b"".join(lines)))
        self._reply("250 queued")

    def _reply(self, *lines: str) -> None:
        self.wfile.write("".join(f"{line}\r\n" for line in lines).encode())


def _address(command: str) -> str:
    return command.partition(":")[2].split()[0].strip("<>")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.received: list[ReceivedMail] = []


@contextmanager
def running_smtp_server() -> Iterator[_SmtpServer]:
    """Yields the server; ``server.server_address[1]`` is its port, ``server.received`` the mails."""
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
