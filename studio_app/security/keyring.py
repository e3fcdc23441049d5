"""Where the keys live: master keys, the blind-index key and the password pepper.

They come either from ``STUDIO_MASTER_KEYS``, ``STUDIO_INDEX_KEY`` and ``STUDIO_PASSWORD_PEPPER``
(all three, see settings) or, in the embedded default, from files created on first run under
``<data_dir>/keys`` (folder 0700, files 0600). Never from the database: a stolen database
without these keys reveals no personal data and no passwords.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import os
import secrets
import stat
from pathlib import Path

from studio_app.settings import (
    KEY_BYTES,
    KEY_ID_PATTERN,
    Settings,
    SettingsError,
    decode_key,
    encode_key_entries,
    load_settings,
    parse_key_entries,
)

MASTER_KEYS_FILE = "master.keys"
INDEX_KEY_FILE = "index.key"
PASSWORD_PEPPER_FILE = "pepper.key"


class KeyFileError(SettingsError):
    """A key file that cannot be used. A SettingsError, so entry points report it in one line;
    ``variable`` holds the file path."""

    def __init__(self, path: Path, problem: str):
        super().__init__(str(path), problem)


class KeyRingError(Exception):
    """A key-ring operation that cannot be done, such as adding a key the ring cannot store."""


@dataclasses.dataclass(frozen=True)
class MasterKey:
    key_id: str
    secret: bytes = dataclasses.field(repr=False)


class KeyRing:
    """Master keys by id; the last one added is active and encrypts everything new.

    Older keys stay to decrypt what they encrypted until ``keys rotate`` has rewrapped it.
    """

    def __init__(self, keys: list[MasterKey] | tuple[MasterKey, ...], *, key_file: Path | None = None):
        if not keys:
            raise KeyRingError("a key ring needs at least one key")
        self._keys = {key.key_id: key for key in keys}
        self._active_key_id = keys[-1].key_id
        self._key_file = key_file

    @property
    def active_key_id(self) -> str:
        return self._active_key_id

    @property
    def active_key(self) -> MasterKey:
        return self._keys[self._active_key_id]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def get(self, key_id: str) -> MasterKey | None:
        key = self._keys.get(key_id)
        if key is None and self._key_file is not None:
            # Another process rotated (an incident's containment from the admin console): its new key is in the
            # file, and becomes this process's active key too, so nothing new is sealed under the old one.
            self._keys = {stored_id: MasterKey(stored_id, secret)
                          for stored_id, secret in _read_key_entries(self._key_file)}
            self._active_key_id = next(reversed(self._keys))
            key = self._keys.get(key_id)
        return key

    def add_key(self, key_id: str | None = None) -> MasterKey:
        """Create a random key, save it, and make it the active key.

        Only a file-backed ring can add keys: a key kept only in memory would be lost at the
        next restart, and everything encrypted under it with it. With ``STUDIO_MASTER_KEYS``,
        append the new entry to the variable and restart instead.
        """
        if self._key_file is None:
            raise KeyRingError("master keys come from STUDIO_MASTER_KEYS: append a new keyid:base64key entry there")
        key_id = key_id or _new_key_id()
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise KeyRingError(f"key id {key_id!r} must be 1-32 letters, digits, '-' or '_'")
        # Re-read the file so a key added by another process since we loaded is kept.
        stored = _read_key_entries(self._key_file)
        if key_id in self._keys or key_id in dict(stored):
            raise KeyRingError(f"key id {key_id!r} is already in the key ring")
        new_key = MasterKey(key_id, secrets.token_bytes(KEY_BYTES))
        _replace_file(self._key_file, encode_key_entries((*stored, (new_key.key_id, new_key.secret))))
        self._keys = {stored_id: MasterKey(stored_id, secret) for stored_id, secret in stored}
        self._keys[new_key.key_id] = new_key
        self._active_key_id = new_key.key_id
        return new_key


@dataclasses.dataclass(frozen=True)
class Keys:
    """Everything secret the app needs, loaded once at start-up."""

    keyring: KeyRing
    index_key: bytes = dataclasses.field(repr=False)
    password_pepper: bytes = dataclasses.field(repr=False)


def load_keys(settings: Settings) -> Keys:
    return Keys(
        keyring=load_keyring(settings),
        index_key=_load_single_key(settings.index_key, settings.keys_dir / INDEX_KEY_FILE),
        password_pepper=_load_single_key(settings.password_pepper, settings.keys_dir / PASSWORD_PEPPER_FILE),
    )


def load_keyring(settings: Settings) -> KeyRing:
    if settings.master_keys is not None:
        return KeyRing([MasterKey(key_id, secret) for key_id, secret in settings.master_keys])
    path = settings.keys_dir / MASTER_KEYS_FILE
    _create_private_file_unless_exists(path, encode_key_entries(((_new_key_id(), secrets.token_bytes(KEY_BYTES)),)))
    return KeyRing([MasterKey(key_id, secret) for key_id, secret in _read_key_entries(path)], key_file=path)


def _load_single_key(from_environment: bytes | None, path: Path) -> bytes:
    if from_environment is not None:
        return from_environment
    _create_private_file_unless_exists(path, base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
    text = _read_private_file(path)
    try:
        return decode_key(text)
    except ValueError as error:
        raise KeyFileError(path, f"content {error}") from None


def _read_key_entries(path: Path) -> tuple[tuple[str, bytes], ...]:
    text = _read_private_file(path)
    try:
        return parse_key_entries(text)
    except ValueError as error:
        raise KeyFileError(path, str(error)) from None


def _new_key_id() -> str:
    return "k" + secrets.token_hex(4)


def _create_private_file_unless_exists(path: Path, initial_text: str) -> None:
    """Two processes starting at once both end up with the same key: the file appears complete
    or not at all (written aside, then hard-linked into place, which fails if it exists)."""
    _ensure_private_folder(path.parent)
    if not path.exists():
        temporary = _write_private_temporary(path, initial_text)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()


def _read_private_file(path: Path) -> str:
    try:
        mode = path.stat().st_mode
        if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(path, f"is readable by other users (mode {stat.S_IMODE(mode):o}); run chmod 600")
        return path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise KeyFileError(path, f"cannot be read ({getattr(error, 'strerror', None) or error})") from None


def _replace_file(path: Path, text: str) -> None:
    """Atomic: readers see the old file or the new one, never a partial write."""
    temporary = _write_private_temporary(path, text)
    os.replace(temporary, path)
    _fsync_folder(path.parent)


def _write_private_temporary(path: Path, text: str) -> Path:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    return temporary


def _ensure_private_folder(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise KeyFileError(folder, f"cannot be created ({error.strerror or error})") from None


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@functools.cache
def current_keys() -> Keys:
    """The keys of this process's settings, loaded once (key files are created on first use)."""
    return load_keys(load_settings())
