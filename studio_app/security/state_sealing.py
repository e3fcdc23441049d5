"""Sealing of the state Reflex stores for each browser tab (``state/store.py`` writes it to disk or Redis).

Whatever a page shows lands in that store, so every stored byte is AES-256-GCM sealed, in the format of
``security/crypto.py``, under a key derived (HKDF-SHA256) from a master key of the key ring. The master key's
id travels in the blob's header: after ``keys rotate`` new writes use the new active key and blobs written
before still open. The state's key in the store (the tab's client token and the state's name) is the
associated data, so a blob copied to another tab or another state does not open.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from studio_app.security.crypto import Binding, seal, unseal
from studio_app.security.keyring import KeyRing
from studio_app.settings import KEY_BYTES

# A key derived for this one purpose: the master key itself only ever wraps data keys.
_PURPOSE = b"azekia-studio/state-store/v1"
_TABLE = "reflex_state"


@functools.lru_cache(maxsize=32)
def _store_key(master_secret: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_PURPOSE).derive(master_secret)


def seal_state(keyring: KeyRing, state_key: str, plaintext: bytes) -> bytes:
    active = keyring.active_key
    return seal(active.key_id, _store_key(active.secret), plaintext, Binding(_TABLE, "state", state_key))


def open_state(keyring: KeyRing, state_key: str, sealed: bytes) -> bytes:
    """The stored bytes; raises ``DecryptionError`` for a blob altered, moved, or sealed under an unknown key."""

    def store_key_of(key_id: str) -> bytes | None:
        master = keyring.get(key_id)
        return _store_key(master.secret) if master else None

    return unseal(store_key_of, sealed, Binding(_TABLE, "state", state_key))
