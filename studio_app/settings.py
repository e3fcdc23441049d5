"""One typed settings object, read from ``STUDIO_*`` environment variables (pydantic-settings).

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
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "STUDIO_"

_DATABASE_SCHEMES = {"sqlite", "postgresql", "postgresql+psycopg"}

KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")
QUEUE_NAME_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,40}")
# Keys given in the environment come from one secret store: a pepper or index key left
# behind in one machine's data folder would be lost with that machine.
_KEY_FIELDS = ("master_keys", "index_key", "password_pepper")


class SettingsError(ValueError):
    """A configuration value that cannot be used; ``str()`` names the variable."""

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _variable(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


def _checked(check):
    """A before-validator from ``check(variable, raw)``: every value is read as text and checked by our code,
    so each message is ours (no pydantic wording, never a password from a URL)."""

    def validate(raw: Any, info: ValidationInfo) -> Any:
        return check(_variable(info.field_name), raw) if isinstance(raw, str) else raw

    return BeforeValidator(validate)


def _absolute(raw: str) -> Path:
    """A folder given relative to the project, where ``make run`` runs."""
    path = Path(raw.strip()).expanduser()
    return path if path.is_absolute() else PROJECT_ROOT / path


def _data_dir(variable: str, raw: str) -> Path:
    path = _absolute(raw)
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A uniquely named probe: several workers start at once and check the same folder.
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        raise SettingsError(variable, f"folder {path} is not writable ({reason})") from None
    return path


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


def _origins(variable: str, raw: str) -> tuple[str, ...]:
    origins = tuple(_origin(variable, part) for part in raw.split(",") if part.strip())
    if not origins:
        raise SettingsError(variable, "needs at least one origin")
    return origins


def _database_url(variable: str, raw: str) -> str:
    raw = raw.strip()
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in _DATABASE_SCHEMES:
        raise SettingsError(variable, f"'{_redact(raw)}' is not a sqlite:/// or postgresql:// URL")
    if scheme.startswith("postgresql") and not urlsplit(raw).hostname:
        raise SettingsError(variable, "a postgresql:// URL needs a host")
    return raw


def _url_of(schemes: tuple[str, ...], expected: str):
    def check(variable: str, raw: str) -> str:
        raw = raw.strip()
        parts = urlsplit(raw)
        if parts.scheme not in schemes or not parts.hostname:
            raise SettingsError(variable, f"'{_redact(raw)}' is not {expected}")
        return raw

    return check


def _positive_int(variable: str, raw: str) -> int:
    raw = raw.strip()
    if not raw.isdigit() or int(raw) == 0:
        raise SettingsError(variable, f"'{raw}' is not a positive whole number")
    return int(raw)


def _port(variable: str, raw: str) -> int:
    raw = raw.strip()
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(variable, f"'{raw}' is not a TCP port (1-65535)")
    return int(raw)


def _log_level(variable: str, raw: str) -> str:
    value, allowed = raw.strip().lower(), ("debug", "error", "info", "warning")
    if value not in allowed:
        raise SettingsError(variable, f"'{value}' is not one of {', '.join(allowed)}")
    return value


def _log_format(variable: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in ("json", "text"):
        raise SettingsError(variable, f"'{value}' is not json or text")
    return value


LOG_SINK_SCHEMES = ("syslog+tcp", "syslog+tls", "otlp+http", "otlp+https")


def _log_sink(variable: str, raw: str) -> str:
    raw = raw.strip()
    parts = urlsplit(raw)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in LOG_SINK_SCHEMES or not parts.hostname or (parts.scheme.startswith("syslog") and not port):
        raise SettingsError(variable, f"'{_redact(raw)}' is not syslog+tcp://host:port, syslog+tls://host:port or "
                                      "otlp+http(s)://host:port/v1/logs")
    return raw


DEFAULT_METRICS_ADDRESS = "127.0.0.1:9108"


def _metrics_address(variable: str, raw: str) -> str | None:
    """``host:port`` (``[::1]:9108`` for IPv6), or ``off``."""
    raw = raw.strip()
    if raw.lower() == "off":
        return None
    host, separator, port = raw.rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(variable, f"'{raw}' is not host:port (like 127.0.0.1:9108) or off")
    return raw


def _readable_file(variable: str, raw: str) -> Path:
    path = _absolute(raw)
    if not path.is_file():
        raise SettingsError(variable, f"{path} is not a readable file")
    return path


def _master_keys(variable: str, raw: str) -> tuple[tuple[str, bytes], ...]:
    try:
        return parse_key_entries(raw)
    except ValueError as error:
        raise SettingsError(variable, f"{error}; expected keyid:base64key[,keyid:base64key...]") from None


def _single_key(variable: str, raw: str) -> bytes:
    try:
        return decode_key(raw)
    except ValueError as error:
        raise SettingsError(variable, f"{error} (generate one with: openssl rand -base64 32)") from None


def _email_address(variable: str, raw: str) -> str:
    raw = raw.strip()
    local, _, domain = raw.partition("@")
    if not local or "." not in domain or any(char.isspace() or char in "<>,;" for char in raw):
        raise SettingsError(variable, f"'{raw}' is not an email address like privacy@example.com")
    return raw


def _imap_url(variable: str, raw: str) -> str:
    raw = raw.strip()
    parts = urlsplit(raw)
    if parts.scheme != "imaps" or not parts.hostname or not parts.username or not parts.password:
        raise SettingsError(variable, f"'{_redact(raw)}' is not imaps://user:password@host:port/INBOX (IMAP over TLS)")
    return raw


def _text(_variable: str, raw: str) -> str:
    return raw.strip()


def _queue_name(variable: str, raw: str) -> str:
    raw = raw.strip()
    if not QUEUE_NAME_PATTERN.fullmatch(raw):
        raise SettingsError(variable, f"'{raw}' is not 1-40 letters, digits, '-' or '_'")
    return raw


# Credentials the sandbox accepts (studio_app/sandbox/discord.py and tiktok.py, which import nothing of ours;
# tests/unit/test_settings.py checks the two copies agree). Not secrets: they open nothing real.
SANDBOX_DISCORD_CLIENT_ID = "1100000000000000001"
SANDBOX_DISCORD_CLIENT_SECRET = "sandbox-discord-client-secret"
SANDBOX_DISCORD_BOT_TOKEN = "sandbox-discord-bot-token"
SANDBOX_TIKTOK_CLIENT_KEY = "sandbox-tiktok-client-key"
SANDBOX_TIKTOK_CLIENT_SECRET = "sandbox-tiktok-client-secret"
DEFAULT_SANDBOX_PORT = 3100


@dataclasses.dataclass(frozen=True, kw_only=True)
class DiscordEndpoints:
    """Where Discord is and how the app authenticates to it; ``base_url`` stands for https://discord.com."""

    base_url: str
    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    bot_token: str = dataclasses.field(repr=False)
    is_sandbox: bool
    provider: str = "discord"


@dataclasses.dataclass(frozen=True, kw_only=True)
class TikTokEndpoints:
    """``auth_url`` stands for https://www.tiktok.com, ``api_url`` for https://open.tiktokapis.com."""

    auth_url: str
    api_url: str
    client_key: str
    client_secret: str = dataclasses.field(repr=False)
    is_sandbox: bool
    provider: str = "tiktok"


Origin = Annotated[str, _checked(_origin)]
PositiveInt = Annotated[int, _checked(_positive_int)]
Text = Annotated[str, _checked(_text)]
DEFAULT_DATA_DIR = "data"
DEFAULT_PUBLIC_URL = "http://localhost:3000"


class Settings(BaseSettings):
    """Built by :func:`load_settings`. Fields are checked in this order; the first wrong one is reported."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True)

    data_dir: Annotated[Path, _checked(_data_dir)]
    public_url: Origin
    database_url: Annotated[str, _checked(_database_url)]
    redis_url: Annotated[str | None, _checked(_url_of(("redis", "rediss"), "a redis:// URL"))] = None
    # The job queue's name: its keys in Redis, its rows in the SQLite queue file (two deployments can share a Redis).
    queue_name: Annotated[str, _checked(_queue_name)] = "studio"
    allowed_origins: Annotated[tuple[str, ...], NoDecode, _checked(_origins)]
    host: Text = "127.0.0.1"
    port: Annotated[int, _checked(_port)] = 3000
    log_level: Annotated[str, _checked(_log_level)] = "info"
    # None: JSON lines unless stdout is a terminal (``logs.py``).
    log_format: Annotated[str | None, _checked(_log_format)] = None
    log_sink: Annotated[str | None, _checked(_log_sink)] = Field(default=None, repr=False)
    log_sink_ca: Annotated[Path | None, _checked(_readable_file)] = None
    # The DSN holds the project's key: kept out of reprs.
    # Prometheus metrics of every process of serve (``metrics.py``); None (``off``) serves none.
    metrics_address: Annotated[str | None, _checked(_metrics_address)] = DEFAULT_METRICS_ADDRESS
    sentry_dsn: Annotated[str | None, _checked(_url_of(("http", "https"), "a DSN like https://key@host/1"))] = Field(
        default=None, repr=False)
    # ``smtp://user:pass@host:port`` (STARTTLS when offered) or ``smtps://...`` (TLS from the start).
    smtp_url: Annotated[str | None, _checked(_url_of(("smtp", "smtps"), "an smtp:// or smtps:// URL"))] = Field(
        default=None, repr=False)
    mail_from: Text = "Azekia Studio <no-reply@localhost>"
    # Where people write about their data: shown in the policy, the privacy center and every mail's footer;
    # the contact point of breach reports and notices.
    privacy_contact: Annotated[str, _checked(_email_address)] = "studio@azekia.fr"
    # The mailbox of that address, polled for requests: ``imaps://user:pass@host:port/INBOX``, else ``data/inbox/``.
    imap_url: Annotated[str | None, _checked(_imap_url)] = Field(default=None, repr=False)
    imap_ca: Annotated[Path | None, _checked(_readable_file)] = None
    # The data protection officer, named in breach reports when there is one.
    dpo_contact: Text | None = None
    session_idle_minutes: PositiveInt = 120
    session_max_days: PositiveInt = 30
    # Admin sessions end sooner: an unattended console is a key to everyone's account.
    admin_session_idle_minutes: PositiveInt = 30
    admin_session_max_hours: PositiveInt = 12
    technical_data_days: PositiveInt = 90
    # None means "use the key files under data_dir/keys" (see studio_app.security.keyring).
    master_keys: Annotated[tuple[tuple[str, bytes], ...] | None, NoDecode, _checked(_master_keys)] = Field(
        default=None, repr=False)
    index_key: Annotated[bytes | None, _checked(_single_key)] = Field(default=None, repr=False)
    password_pepper: Annotated[bytes | None, _checked(_single_key)] = Field(default=None, repr=False)
    # Uploads (tus, ``api/uploads.py``): the largest file, a project's room (stored media plus uploads in
    # progress) and how long an unfinished upload may wait for its next bytes.
    upload_max_bytes: PositiveInt = 20 * 1024**3
    project_quota_bytes: PositiveInt = 500 * 1024**3
    upload_expiry_hours: PositiveInt = 24
    # S3-compatible object storage for media, used when the endpoint and bucket are set (else ``data/media``).
    s3_endpoint_url: Annotated[str | None, _checked(_url_of(("http", "https"), "an http(s):// URL"))] = None
    s3_bucket: Text | None = None
    s3_region: Text | None = None
    s3_access_key: Text | None = Field(default=None, repr=False)
    s3_secret_key: Text | None = Field(default=None, repr=False)
    # Providers: with no real credentials (both values of a pair), the provider is the local sandbox.
    discord_client_id: Text | None = None
    discord_client_secret: Text | None = Field(default=None, repr=False)
    discord_bot_token: Text | None = Field(default=None, repr=False)
    tiktok_client_key: Text | None = None
    tiktok_client_secret: Text | None = Field(default=None, repr=False)
    # The sandbox ``serve`` starts on this port, or one running elsewhere (tests); the secret guards its control API.
    sandbox_port: Annotated[int, _checked(_port)] = DEFAULT_SANDBOX_PORT
    sandbox_url: Annotated[str | None, _checked(_url_of(("http", "https"), "an http(s):// URL"))] = None
    sandbox_secret: Text | None = Field(default=None, repr=False)
    # Detection (``services/detection.py``): who is mailed each new alert (unset: alerts only show in the console),
    # and each rule's threshold within its window.
    security_contact: Text | None = None
    detect_window_minutes: PositiveInt = 15
    detect_signin_account_failures: PositiveInt = 10
    detect_signin_network_failures: PositiveInt = 30
    detect_stuffing_network_accounts: PositiveInt = 5
    detect_stuffing_total_accounts: PositiveInt = 50
    detect_integrity_failures: PositiveInt = 3
    detect_download_window_minutes: PositiveInt = 60
    detect_downloads: PositiveInt = 200
    detect_mails_per_hour: PositiveInt = 20

    @model_validator(mode="before")
    @classmethod
    def _defaults(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Defaults that follow other values: the database lives in the data folder, the socket accepts the
        public origin. The three keys come together or not at all."""
        given = {name: values[name] for name in _KEY_FIELDS if name in values}
        if given and len(given) < len(_KEY_FIELDS):
            missing = next(name for name in _KEY_FIELDS if name not in given)
            together = ", ".join(_variable(name) for name in _KEY_FIELDS)
            raise SettingsError(_variable(missing), f"is missing: {together} are given together or not at all")
        values = {"data_dir": DEFAULT_DATA_DIR, "public_url": DEFAULT_PUBLIC_URL} | values
        values.setdefault("database_url", f"sqlite:///{_absolute(values['data_dir']) / 'studio.db'}")
        values.setdefault("allowed_origins", values["public_url"])
        return values

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **_other_sources):
        """Values come only from the mapping load_settings reads (see _Environment): never straight from this
        process's environment when a caller passed another mapping, never from an .env or secrets file."""
        return (init_settings,)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def uploads_dir(self) -> Path:
        """Uploads in progress, sealed (``integrations/storage.py``, ``UploadStaging``)."""
        return self.data_dir / "uploads"

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_bucket)

    @property
    def metrics_dir(self) -> Path:
        """prometheus-client's multiprocess files of this machine's ``serve`` (emptied at each start)."""
        return self.data_dir / "metrics"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def inbox_dir(self) -> Path:
        """``.eml`` files dropped here become privacy requests when no IMAP mailbox is set."""
        return self.data_dir / "inbox"

    @property
    def queue_file(self) -> Path:
        """The job queue's SQLite file (embedded default; Redis holds the queue when configured)."""
        return self.data_dir / "queue.sqlite3"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def is_https(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def sandbox_base_url(self) -> str:
        return (self.sandbox_url or f"http://127.0.0.1:{self.sandbox_port}").rstrip("/")

    @property
    def discord(self) -> DiscordEndpoints:
        if self.discord_client_id and self.discord_client_secret:
            return DiscordEndpoints(base_url="https://discord.com", client_id=self.discord_client_id,
                                    client_secret=self.discord_client_secret, bot_token=self.discord_bot_token or "",
                                    is_sandbox=False)
        return DiscordEndpoints(base_url=f"{self.sandbox_base_url}/discord", client_id=SANDBOX_DISCORD_CLIENT_ID,
                                client_secret=SANDBOX_DISCORD_CLIENT_SECRET, bot_token=SANDBOX_DISCORD_BOT_TOKEN,
                                is_sandbox=True)

    @property
    def tiktok(self) -> TikTokEndpoints:
        if self.tiktok_client_key and self.tiktok_client_secret:
            return TikTokEndpoints(auth_url="https://www.tiktok.com", api_url="https://open.tiktokapis.com",
                                   client_key=self.tiktok_client_key, client_secret=self.tiktok_client_secret,
                                   is_sandbox=False)
        base = self.sandbox_base_url
        return TikTokEndpoints(auth_url=f"{base}/tiktok/www", api_url=f"{base}/tiktok/open",
                               client_key=SANDBOX_TIKTOK_CLIENT_KEY, client_secret=SANDBOX_TIKTOK_CLIENT_SECRET,
                               is_sandbox=True)

    @property
    def uses_sandbox(self) -> bool:
        return self.discord.is_sandbox or self.tiktok.is_sandbox

    @property
    def starts_sandbox(self) -> bool:
        """``serve`` runs the sandbox itself unless one elsewhere is named."""
        return self.uses_sandbox and not self.sandbox_url


class _Environment(EnvSettingsSource):
    """The ``STUDIO_*`` variables of one mapping: ``os.environ``, or the one a caller passes (tests, tools)."""

    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings; raises SettingsError naming the first wrong variable."""
    try:
        return Settings(**_Environment(os.environ if environ is None else environ)())
    except ValidationError as error:
        raise _first_problem(error) from None


def _first_problem(error: ValidationError) -> SettingsError:
    problem = error.errors(include_url=False)[0]
    cause = problem.get("ctx", {}).get("error")
    if isinstance(cause, SettingsError):
        return cause
    field = str(problem["loc"][0]) if problem["loc"] else "settings"
    return SettingsError(_variable(field), problem["msg"])


def load_settings_or_exit(environ: Mapping[str, str] | None = None) -> Settings:
    """For entry points: a bad value ends the process with one clear line."""
    try:
        return load_settings(environ)
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


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
