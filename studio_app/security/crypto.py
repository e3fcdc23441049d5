"""AES-256-GCM field encryption, per-user data keys and their wrapping by the master key.

Every value is sealed in one format, whatever the key::

    version (1 byte) | key id length (1 byte) | key id (ASCII) | nonce (12 bytes) | ciphertext + tag

The associated data covers that header and where the value belongs (table, column, row id), so
a value copied to another row or column, or given another key id, fails to decrypt.

Personal fields are sealed under their owner's data key (a random 256-bit key per user); the
data key is stored sealed under the active master key. Deleting a user's wrapped data key
crypto-shreds every value sealed under it, backups included.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from studio_app.security.keyring import KeyRing
from studio_app.settings import KEY_BYTES

FORMAT_VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
# Where wrapped data keys are bound: a wrapped key moved to another user fails to unwrap.
_DATA_KEY_TABLE = "data_key"
_DATA_KEY_COLUMN = "wrapped_key"


class DecryptionError(Exception):
    """A value that cannot be decrypted: altered, moved, truncated, or sealed under a key we lack.

    The message never contains the value.
    """


@dataclasses.dataclass(frozen=True)
class DataKey:
    """A user's data key, unwrapped. ``key_id`` is random and lets a sealed value name its key."""

    key_id: str
    secret: bytes = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Binding:
    """Where a sealed value belongs; it is authenticated with the value."""

    table: str
    column: str
    row_id: int | str

    def encode(self) -> bytes:
        parts = (self.table, self.column, str(self.row_id))
        return b"".join(_length_prefixed(part.encode()) for part in parts)

    def __str__(self) -> str:
        return f"{self.table}.{self.column} row {self.row_id}"


def encrypt_field(data_key: DataKey, value: str, *, table: str, column: str, row_id: int | str) -> bytes:
    return seal(data_key.key_id, data_key.secret, value.encode(), Binding(table, column, row_id))


def decrypt_field(data_key: DataKey, sealed: bytes, *, table: str, column: str, row_id: int | str) -> str:
    binding = Binding(table, column, row_id)
    plaintext = unseal(_only_key(data_key), sealed, binding)
    try:
        return plaintext.decode()
    except UnicodeDecodeError:
        raise DecryptionError(f"{binding} does not hold text") from None


def new_data_key(keyring: KeyRing, *, owner_id: int | str) -> tuple[DataKey, bytes]:
    """A fresh data key for one user, and the same key wrapped for storage under the active master key."""
    data_key = DataKey(secrets.token_hex(4), secrets.token_bytes(KEY_BYTES))
    return data_key, _wrap(keyring, data_key, owner_id)


def unwrap_data_key(keyring: KeyRing, wrapped: bytes, *, owner_id: int | str) -> DataKey:
    plaintext = unseal(_master_keys(keyring), wrapped, _data_key_binding(owner_id))
    key_id_length = plaintext[0]
    return DataKey(plaintext[1 : 1 + key_id_length].decode(), plaintext[1 + key_id_length :])


def rewrap_data_key(keyring: KeyRing, wrapped: bytes, *, owner_id: int | str) -> bytes:
    """The same data key wrapped under the active master key; unchanged if it already is.

    Key rotation rewraps data keys only: field values keep their data key and need no rewrite.
    """
    if sealed_key_id(wrapped) == keyring.active_key_id:
        return wrapped
    return _wrap(keyring, unwrap_data_key(keyring, wrapped, owner_id=owner_id), owner_id)


def sealed_key_id(sealed: bytes) -> str:
    """The id of the key a value is sealed under, read from its header (not authenticated here)."""
    return _parse(sealed).key_id


def seal(key_id: str, secret: bytes, plaintext: bytes, binding: Binding) -> bytes:
    header = _header(key_id)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return header + nonce + AESGCM(secret).encrypt(nonce, plaintext, header + binding.encode())


def unseal(find_secret: Callable[[str], bytes | None], sealed: bytes, binding: Binding) -> bytes:
    parts = _parse(sealed)
    secret = find_secret(parts.key_id)
    if secret is None:
        raise DecryptionError(f"{binding} is sealed under key {parts.key_id!r}, which is not available")
    try:
        return AESGCM(secret).decrypt(parts.nonce, parts.ciphertext, parts.header + binding.encode())
    except InvalidTag:
        raise DecryptionError(f"{binding} was altered, belongs to another row or column, or the key is wrong") from None


@dataclasses.dataclass(frozen=True)
class _SealedParts:
    header: bytes
    key_id: str
    nonce: bytes
    ciphertext: bytes


def _parse(sealed: bytes) -> _SealedParts:
    if len(sealed) < 2 or sealed[0] != FORMAT_VERSION:
        raise DecryptionError("not a sealed value of a known format version")
    nonce_start = 2 + sealed[1]
    ciphertext_start = nonce_start + NONCE_BYTES
    if len(sealed) < ciphertext_start + TAG_BYTES:
        raise DecryptionError("sealed value is truncated")
    try:
        key_id = sealed[2:nonce_start].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("sealed value has a malformed key id") from None
    return _SealedParts(
        header=sealed[:nonce_start],
        key_id=key_id,
        nonce=sealed[nonce_start:ciphertext_start],
        ciphertext=sealed[ciphertext_start:],
    )


def _header(key_id: str) -> bytes:
    return bytes([FORMAT_VERSION]) + _length_prefixed(key_id.encode("ascii"), width=1)


def _length_prefixed(data: bytes, *, width: int = 2) -> bytes:
    return len(data).to_bytes(width, "big") + data


def _wrap(keyring: KeyRing, data_key: DataKey, owner_id: int | str) -> bytes:
    active = keyring.active_key
    plaintext = _length_prefixed(data_key.key_id.encode("ascii"), width=1) + data_key.secret
    return seal(active.key_id, active.secret, plaintext, _data_key_binding(owner_id))


def _data_key_binding(owner_id: int | str) -> Binding:
    return Binding(_DATA_KEY_TABLE, _DATA_KEY_COLUMN, owner_id)


def _master_keys(keyring: KeyRing) -> Callable[[str], bytes | None]:
    def find_secret(key_id: str) -> bytes | None:
        key = keyring.get(key_id)
        return key.secret if key else None

    return find_secret


def _only_key(data_key: DataKey) -> Callable[[str], bytes | None]:
    return lambda key_id: data_key.secret if key_id == data_key.key_id else None
