"""The privacy mailbox: an IMAP folder over TLS when ``settings.imap_url`` is set, else ``.eml`` files dropped in
``<data>/inbox/``. This module only reads and tidies; what a message becomes is ``services/mail_requests.py``'s."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import imaplib
import os
import re
import ssl
from pathlib import Path
from urllib.parse import unquote, urlsplit

from studio_app.settings import Settings

IMAP_TIMEOUT_SECONDS = 20
IMAPS_PORT = 993
# A message larger than this is not a letter to the privacy team (attachments are not read anyway).
MAX_MESSAGE_BYTES = 5 * 1024 * 1024
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """The mailbox cannot be read; the message never contains the IMAP password."""


@dataclasses.dataclass(frozen=True)
class _ImapAccount:
    host: str
    port: int
    username: str
    password: str = dataclasses.field(repr=False)
    folder: str


def _account(imap_url: str) -> _ImapAccount:
    parts = urlsplit(imap_url)
    return _ImapAccount(host=parts.hostname or "", port=parts.port or IMAPS_PORT,
                        username=unquote(parts.username or ""), password=unquote(parts.password or ""),
                        folder=unquote(parts.path.lstrip("/")) or "INBOX")


def mailbox_id(imap_url: str) -> str:
    """Names a mailbox in the database (its cursor) without storing the address: SHA-256 of host, user, folder."""
    account = _account(imap_url)
    return hashlib.sha256(f"{account.host}:{account.port}\0{account.username}\0{account.folder}".encode()).hexdigest()


class ImapMailbox:
    """One IMAP session on the privacy folder. Messages are read with ``BODY.PEEK[]`` (reading marks nothing) and
    flagged ``\\Seen`` only once what they became is committed."""

    def __init__(self, settings: Settings):
        assert settings.imap_url
        self._account = _account(settings.imap_url)
        self._ca = settings.imap_ca
        self._client: imaplib.IMAP4_SSL | None = None
        self.uid_validity = 0

    def __enter__(self) -> ImapMailbox:
        context = ssl.create_default_context(cafile=str(self._ca) if self._ca else None)
        try:
            self._client = imaplib.IMAP4_SSL(self._account.host, self._account.port, ssl_context=context,
                                             timeout=IMAP_TIMEOUT_SECONDS)
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxError(f"cannot reach {self._where} ({type(error).__name__})") from None
        try:
            self._call("LOGIN", self._client.login, self._account.username, self._account.password)
            self._call("SELECT", self._client.select, _quoted(self._account.folder))
            # The SELECT answer's [UIDVALIDITY n] code, which imaplib files under its name.
            _, codes = self._client.response("UIDVALIDITY")
            if not codes or not codes[0]:
                raise MailboxError(f"{self._where} gave no UIDVALIDITY")
            self.uid_validity = int(codes[0])
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self._close()

    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above ``last_uid``, oldest first (``n:*`` always answers the highest, so filter)."""
        found = b" ".join(_bytes(item) for item in self._uid("SEARCH", None, f"UID {last_uid + 1}:*")).split()
        return sorted(uid for uid in map(int, found) if uid > last_uid)

    def fetch(self, uid: int) -> bytes | None:
        """The whole message, or None when it is larger than ``MAX_MESSAGE_BYTES`` (or gone)."""
        size = _SIZE.search(b" ".join(_bytes(item) for item in self._uid("FETCH", str(uid), "(RFC822.SIZE)")))
        if size is None or int(size.group(1)) > MAX_MESSAGE_BYTES:
            return None
        for item in self._uid("FETCH", str(uid), "(BODY.PEEK[])"):
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None

    def mark_seen(self, uid: int) -> None:
        self._uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Seen)")

    def _uid(self, command: str, *args: str | None) -> list:
        return self._call(command, self._client.uid, command, *args)

    def _call(self, name: str, method, *args) -> list:
        try:
            typ, data = method(*args)
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxError(f"{name} failed on {self._where} ({type(error).__name__})") from None
        if typ != "OK":
            raise MailboxError(f"{name} refused by {self._where}")
        return data

    @property
    def _where(self) -> str:
        return f"imaps://{self._account.host}:{self._account.port}"

    def _close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self._client.logout()
            self._client = None


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bytes(item: object) -> bytes:
    if isinstance(item, tuple):
        return b" ".join(_bytes(part) for part in item)
    return item if isinstance(item, bytes) else str(item or "").encode()


class DropFolder:
    """``.eml`` files in a folder (the embedded default): a file taken in is removed (its content is sealed in the
    database by then); one that is not a message goes to ``rejected/`` for a person to look at."""

    def __init__(self, folder: Path):
        self.folder = folder

    def pending(self) -> list[Path]:
        """Oldest first; files still being written (hidden, or not ``.eml``) wait."""
        if not self.folder.is_dir():
            return []
        files = [path for path in self.folder.glob("[!.]*.eml") if path.is_file()]
        return sorted(files, key=lambda path: (path.stat().st_mtime, path.name))

    def read(self, path: Path) -> bytes | None:
        if path.stat().st_size > MAX_MESSAGE_BYTES:
            return None
        return path.read_bytes()

    def taken(self, path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def reject(self, path: Path) -> None:
        rejected = self.folder / "rejected"
        rejected.mkdir(mode=0o700, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, rejected / path.name)

