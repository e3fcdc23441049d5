"""One typed settings object, read from ``STUDIO_*`` environment variables.

Every value has an embedded default so that ``make run`` works on a bare machine
(SQLite and media under ``data/``). A wrong value raises :class:`SettingsError`
naming the variable; entry points turn it into one line on stderr.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_DATABASE_SCHEMES = {"sqlite", "postgresql", "postgresql+psycopg"}
_LOG_LEVELS = {"debug", "info", "warning", "error"}


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

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

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
    return Settings(
        data_dir=data_dir,
        database_url=_database_url(read("DATABASE_URL", f"sqlite:///{data_dir / 'studio.db'}")),
        redis_url=_redis_url(read("REDIS_URL")),
        public_url=public_url,
        allowed_origins=_allowed_origins(read("ALLOWED_ORIGINS", public_url)),
        host=read("HOST", "127.0.0.1"),
        port=_port(read("PORT", "3000")),
        log_level=_choice("STUDIO_LOG_LEVEL", read("LOG_LEVEL", "info").lower(), _LOG_LEVELS),
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
        probe = path / ".write-probe"
        probe.write_bytes(b"")
        probe.unlink()
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


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError("STUDIO_PORT", f"'{raw}' is not a TCP port (1-65535)")
    return int(raw)


def _choice(variable: str, value: str, allowed: set[str]) -> str:
    if value not in allowed:
        raise SettingsError(variable, f"'{value}' is not one of {', '.join(sorted(allowed))}")
    return value


def _redact(url: str) -> str:
    """Never echo a password from a URL into logs or terminals."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
