"""Debian's dovecot as the privacy mailbox under test: in the foreground with its own configuration and folders,
as the current user, IMAP over TLS only (a self-signed certificate the client trusts as its CA) on a free loopback
port, one user in a passwd file. Tests put messages in with IMAP APPEND, as a mail server delivering them would."""

from __future__ import annotations

import contextlib
import dataclasses
import grp
import imaplib
import os
import pwd
import shutil
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.servers import free_port, stop_process, wait_for_port
from tests.support.tls import write_self_signed_certificate

DOVECOT = Path("/usr/sbin/dovecot")
USER, PASSWORD = "privacy", "mailbox pass 7 words long"


@dataclasses.dataclass
class Mailbox:
    port: int
    ca: Path
    process: subprocess.Popen

    def url(self, password: str = PASSWORD, folder: str = "INBOX") -> str:
        return f"imaps://{USER}:{quote(password, safe='')}@127.0.0.1:{self.port}/{folder}"

    @contextlib.contextmanager
    def client(self) -> Iterator[imaplib.IMAP4_SSL]:
        context = ssl.create_default_context(cafile=str(self.ca))
        client = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context, timeout=10)
        try:
            client.login(USER, PASSWORD)
            yield client
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client.logout()

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            typ, data = client.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert typ == "OK", data

    def flags(self, folder: str = "INBOX") -> list[str]:
        """The flags of every message of ``folder``, in UID order."""
        with self.client() as client:
            client.select(folder, readonly=True)
            _, data = client.uid("FETCH", "1:*", "(FLAGS)")
            return [item.decode() for item in data if item]


def require_dovecot() -> None:
    if not DOVECOT.exists():
        message = "dovecot is missing: make dovecot installs it"
        if os.environ.get("STUDIO_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)


@contextlib.contextmanager
def dovecot() -> Iterator[Mailbox]:
    require_dovecot()
    # Its own folder, not pytest's: as root, dovecot's unprivileged users must reach it, and pytest's is 0700.
    work = Path(tempfile.mkdtemp(prefix="studio-dovecot-"))
    work.chmod(0o755)
    try:
        yield from _serve(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _serve(work: Path) -> Iterator[Mailbox]:
    certificate, key = write_self_signed_certificate(work)
    port = free_port()
    login_user, internal_user, uid, gid = _users()
    (work / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    for folder in ("run", "state", "home"):
        (work / folder).mkdir(exist_ok=True)
    os.chown(work / "home", uid, gid)
    config = work / "dovecot.conf"
    config.write_text(f"""
base_dir = {work}/run
state_dir = {work}/state
instance_name = studio-test-{port}
log_path = {work}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{certificate}
ssl_key = <{key}
disable_plaintext_auth = yes
auth_mechanisms = plain
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {work}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={work}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")
    log = work / "dovecot.out"
    with log.open("wb") as output:
        process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(config)], stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        wait_for_port("dovecot", port, process, lambda: _logs(work))
        yield Mailbox(port=port, ca=certificate, process=process)
    finally:
        stop_process(process)


def _users() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid): the current user for everything, except that dovecot refuses
    to run its login and mail processes as root; then the unprivileged users its Debian package creates."""
    if os.getuid() != 0:
        name = pwd.getpwuid(os.getuid()).pw_name
        return name, name, os.getuid(), os.getgid()
    internal = pwd.getpwnam("dovecot")
    return "dovenull", "dovecot", internal.pw_uid, internal.pw_gid


def _logs(work: Path) -> str:
    return "".join(path.read_text(errors="replace") for path in (work / "dovecot.out", work / "dovecot.log")
                   if path.exists())
