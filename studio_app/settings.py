"""One typed settings object, read from ``STUDIO_*`` environment variables.

Every value has an embedded default so that ``make run`` works on a bare machine
(SQLite and media under ``data/``). A wrong value raises :class:`SettingsError`
naming the variable; entry points turn it into one line on stderr.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import os
import re
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_DATABASE_SCHEMES = {"sqlite", "postgresql", "postgresql+psycopg"}
_LOG_LEVELS = {"debug", "info", "warning", "error"}

KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
# Keys given in the environment come from one secret store: a pepper or index key left
# behind in one machine's data folder would be lost with that machine.
_KEY_VARIABLES = ("STUDIO_MASTER_KEYS", "STUDIO_INDEX_KEY", "STUDIO_PASSWORD_PEPPER")


class SettingsError(ValueError):
    """A configuration value that cannot be used; ``str()`` names the variable."""

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclasses.dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str | None
    public_url: str
    allowed_origins: tuple[str, ...]
    host: str
    port: int
    log_level: str
    smtp_url: str | None = dataclasses.field(default=None, repr=False)
    session_idle_minutes: int = 120
    session_max_days: int = 30
    technical_data_days: int = 90
    mail_from: str = "Azekia Studio <no-reply@localhost>"
    # None means "use the key files under data_dir/keys" (see studio_app.security.keyring).
    master_keys: tuple[tuple[str, bytes], ...] | None = dataclasses.field(default=None, repr=False)
    index_key: bytes | None = dataclasses.field(default=None, repr=False)
    password_pepper: bytes | None = dataclasses.field(default=None, repr=False)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def is_https(self) -> bool:
        return self.public_url.startswith("https://")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raises SettingsError on the first bad value."""
    env = os.environ if environ is None else environ

    def read(name: str, default: str | None = None) -> str | None:
        value = env.get(f"STUDIO_{name}", "").strip()
        return value or default

    data_dir = _data_dir(read("DATA_DIR", str(PROJECT_ROOT / "data")))
    public_url = _public_url(read("PUBLIC_URL", "http://localhost:3000"))
    _check_key_variables_all_or_none({name: read(name.removeprefix("STUDIO_")) for name in _KEY_VARIABLES})
    return Settings(
        data_dir=data_dir,
        database_url=_database_url(read("DATABASE_URL", f"sqlite:///{data_dir / 'studio.db'}")),
        redis_url=_redis_url(read("REDIS_URL")),
        public_url=public_url,
        allowed_origins=_allowed_origins(read("ALLOWED_ORIGINS", public_url)),
        host=read("HOST", "127.0.0.1"),
        port=_port(read("PORT", "3000")),
        log_level=_choice("STUDIO_LOG_LEVEL", read("LOG_LEVEL", "info").lower(), _LOG_LEVELS),
        smtp_url=_smtp_url(read("SMTP_URL")),
        mail_from=read("MAIL_FROM", "Azekia Studio <no-reply@localhost>"),
        session_idle_minutes=_positive_int("STUDIO_SESSION_IDLE_MINUTES", read("SESSION_IDLE_MINUTES", "120")),
        session_max_days=_positive_int("STUDIO_SESSION_MAX_DAYS", read("SESSION_MAX_DAYS", "30")),
        technical_data_days=_positive_int("STUDIO_TECHNICAL_DATA_DAYS", read("TECHNICAL_DATA_DAYS", "90")),
        master_keys=_master_keys(read("MASTER_KEYS")),
        index_key=_single_key("STUDIO_INDEX_KEY", read("INDEX_KEY")),
        password_pepper=_single_key("STUDIO_PASSWORD_PEPPER", read("PASSWORD_PEPPER")),
    )


def load_settings_or_exit(environ: Mapping[str, str] | None = None) -> Settings:
    """For entry points: a bad value ends the process with one clear line."""
    try:
        return load_settings(environ)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _data_dir(raw: str) -> Path:
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = PROJECT_ROOT / path
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A uniquely named probe: several workers start at once and check the same folder.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise SettingsError("STUDIO_DATA_DIR", f"folder {path} is not writable ({reason})") from None
    return path


def _public_url(raw: str) -> str:
    return _origin("STUDIO_PUBLIC_URL", raw)


def _allowed_origins(raw: str) -> tuple[str, ...]:
    origins = tuple(_origin("STUDIO_ALLOWED_ORIGINS", part) for part in raw.split(",") if part.strip())
    if not origins:
        raise SettingsError("STUDIO_ALLOWED_ORIGINS", "needs at least one origin")
    return origins


def _origin(variable: str, raw: str) -> str:
    raw = raw.strip()
    if raw == "*":
        raise SettingsError(variable, "'*' would let any web site use the app's socket; list real origins")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(variable, f"'{raw}' is not an http(s) URL like https://studio.example.com")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingsError(variable, f"'{raw}' must be an origin only (scheme, host, port), without a path")
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(variable, f"'{raw}' has an invalid port") from None
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port else "")


def _database_url(raw: str) -> str:
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in _DATABASE_SCHEMES:
        raise SettingsError(
            "STUDIO_DATABASE_URL",
            f"'{_redact(raw)}' is not a sqlite:/// or postgresql:// URL",
        )
    if scheme.startswith("postgresql") and not urlsplit(raw).hostname:
        raise SettingsError("STUDIO_DATABASE_URL", "a postgresql:// URL needs a host")
    return raw


def _redis_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise SettingsError("STUDIO_REDIS_URL", f"'{_redact(raw)}' is not a redis:// URL")
    return raw


def _smtp_url(raw: str | None) -> str | None:
    """``smtp://user:pass@host:port`` (STARTTLS when offered) or ``smtps://...`` (TLS from the start)."""
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError("STUDIO_SMTP_URL", f"'{_redact(raw)}' is not an smtp:// or smtps:// URL")
    return raw


def _positive_int(variable: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) == 0:
        raise SettingsError(variable, f"'{raw}' is not a positive whole number")
    return int(raw)


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError("STUDIO_PORT", f"'{raw}' is not a TCP port (1-65535)")
    return int(raw)


def _choice(variable: str, value: str, allowed: set[str]) -> str:
    if value not in allowed:
        raise SettingsError(variable, f"'{value}' is not one of {', '.join(sorted(allowed))}")
    return value


def parse_key_entries(text: str) -> tuple[tuple[str, bytes], ...]:
    """Parse ``keyid:base64key`` entries separated by commas or newlines; the last one is active.

    Raises ValueError with a message that never contains key material.
    """
    entries = [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]
    if not entries:
        raise ValueError("needs at least one keyid:base64key entry")
    parsed = tuple(_parse_key_entry(position, entry) for position, entry in enumerate(entries, start=1))
    key_ids = [key_id for key_id, _ in parsed]
    duplicates = sorted({key_id for key_id in key_ids if key_ids.count(key_id) > 1})
    if duplicates:
        raise ValueError(f"key id {duplicates[0]!r} appears more than once")
    return parsed


def encode_key_entries(entries: tuple[tuple[str, bytes], ...]) -> str:
    return "".join(f"{key_id}:{base64.b64encode(secret).decode()}\n" for key_id, secret in entries)


def decode_key(text: str) -> bytes:
    """A base64 32-byte key; raises ValueError with a message that never contains the key."""
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None
    if len(secret) != KEY_BYTES:
        raise ValueError(f"decodes to {len(secret)} bytes, a key needs {KEY_BYTES}")
    return secret


def _parse_key_entry(position: int, entry: str) -> tuple[str, bytes]:
    key_id, separator, encoded = entry.partition(":")
    key_id = key_id.strip()
    if not separator:
        raise ValueError(f"entry {position} is not keyid:base64key")
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise ValueError(f"entry {position}: key id must be 1-32 letters, digits, '-' or '_'")
    try:
        return key_id, decode_key(encoded)
    except ValueError as error:
        raise ValueError(f"key {key_id!r} {error}") from None


def _check_key_variables_all_or_none(values: dict[str, str | None]) -> None:
    missing = [name for name, value in values.items() if value is None]
    if missing and len(missing) < len(values):
        together = ", ".join(values)
        raise SettingsError(missing[0], f"is missing: {together} are given together or not at all")


def _master_keys(raw: str | None) -> tuple[tuple[str, bytes], ...] | None:
    if raw is None:
        return None
    try:
        return parse_key_entries(raw)
    except ValueError as error:
        raise SettingsError("STUDIO_MASTER_KEYS", f"{error}; expected keyid:base64key[,keyid:base64key...]") from None


def _single_key(variable: str, raw: str | None) -> bytes | None:
    if raw is None:
        return None
    try:
        return decode_key(raw)
    except ValueError as error:
        raise SettingsError(variable, f"{error} (generate one with: openssl rand -base64 32)") from None


def _redact(url: str) -> str:
    """Never echo a password from a URL into logs or terminals."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


@functools.cache
def current_settings() -> Settings:
    """This process's settings, read once (entry points have validated them at start-up)."""
    return load_settings()
