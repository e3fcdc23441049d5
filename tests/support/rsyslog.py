"""Debian's rsyslogd as the log collector under test: in the foreground, with its own configuration, pid file and
work folder, listening on a free loopback port (TLS through its gtls driver when given a certificate), writing
every message it parsed to a file as the fields it read (so a message that is not valid RFC 5424 shows)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import free_port, stop_process, wait_for_port

RSYSLOGD = Path("/usr/sbin/rsyslogd")
# One JSON object a line: the RFC 5424 fields as rsyslog parsed them (protocol-version is 1 only for RFC 5424).
_TEMPLATE = """template(name="parsed" type="list") {
  constant(value="{\\"version\\":\\"") property(name="protocol-version" format="json")
  constant(value="\\",\\"facility\\":\\"") property(name="syslogfacility" format="json")
  constant(value="\\",\\"severity\\":\\"") property(name="syslogseverity" format="json")
  constant(value="\\",\\"timestamp\\":\\"") property(name="timereported" dateFormat="rfc3339" format="json")
  constant(value="\\",\\"hostname\\":\\"") property(name="hostname" format="json")
  constant(value="\\",\\"app\\":\\"") property(name="app-name" format="json")
  constant(value="\\",\\"procid\\":\\"") property(name="procid" format="json")
  constant(value="\\",\\"msgid\\":\\"") property(name="msgid" format="json")
  constant(value="\\",\\"msg\\":\\"") property(name="msg" format="json")
  constant(value="\\"}\\n")
}"""


@dataclass
class Collector:
    port: int
    received: Path
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.port}"

    def messages(self) -> list[dict]:
        if not self.received.exists():
            return []
        return [json.loads(line) for line in self.received.read_text().splitlines() if line.strip()]

    def wait_for(self, count: int, timeout: float = 15) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(found := self.messages()) >= count:
                return found
            time.sleep(0.1)
        return self.messages()


def require_rsyslogd() -> None:
    if not RSYSLOGD.exists():
        message = "rsyslogd is missing: make rsyslog installs it"
        if os.environ.get("STUDIO_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def rsyslog(work: Path, *, certificate: tuple[Path, Path] | None = None) -> Iterator[Collector]:
    """``certificate``: (certificate, key) the collector presents over TLS (clients trust it as their CA)."""
    require_rsyslogd()
    work.mkdir(parents=True, exist_ok=True)
    port, received = free_port(), work / "received.jsonl"
    tls = ""
    if certificate is not None:
        cert, key = certificate
        tls = (f'global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="{cert}" '
               f'DefaultNetstreamDriverCertFile="{cert}" DefaultNetstreamDriverKeyFile="{key}")\n')
    stream = ' StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon"' if certificate else ""
    config = work / "rsyslog.conf"
    config.write_text(
        f'global(workDirectory="{work}" maxMessageSize="64k")\n{tls}'
        f'module(load="imtcp"{stream})\n'
        f'input(type="imtcp" address="127.0.0.1" port="{port}")\n'
        f"{_TEMPLATE}\n"
        f'action(type="omfile" file="{received}" template="parsed")\n'
    )
    log = work / "rsyslogd.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(RSYSLOGD), "-n", "-f", str(config), "-i", str(work / "rsyslogd.pid")],
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_port("rsyslogd", port, process, log.read_text)
        yield Collector(port=port, received=received, process=process)
    finally:
        stop_process(process)


@contextlib.contextmanager
def black_hole() -> Iterator[int]:
    """A dead collector, as a firewall that drops packets makes one: a port whose connection attempts hang until
    they time out (a listener that never accepts, its backlog already full). A refused connection would fail at
    once and prove nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()
