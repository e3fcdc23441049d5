"""Sealing of the Reflex state store: bound to the state's key, and following the key ring through a rotation."""

import pytest

from studio_app.security.crypto import DecryptionError, sealed_key_id
from studio_app.security.keyring import load_keyring
from studio_app.security.state_sealing import open_state, seal_state

KEY = "0b7c2b8e-6a43-4d4a-9d8e-0c6a2f3b9e11_reflex___state____state.thread_state"


def test_a_sealed_state_opens_only_under_its_own_key(settings):
    keyring = load_keyring(settings)
    sealed = seal_state(keyring, KEY, b"Paula Producer wrote this")
    assert b"Paula" not in sealed
    assert open_state(keyring, KEY, sealed) == b"Paula Producer wrote this"
    other_tab = "1c8d3c9f-7b54-4e5b-8e9f-1d7b3a4c0f22" + KEY[36:]
    with pytest.raises(DecryptionError):
        open_state(keyring, other_tab, sealed)  # copied to another tab
    with pytest.raises(DecryptionError):
        open_state(keyring, KEY, sealed[:-1] + bytes([sealed[-1] ^ 1]))  # altered


def test_after_a_rotation_new_blobs_use_the_new_key_and_old_ones_still_open(settings):
    before = load_keyring(settings)
    old_blob = seal_state(before, KEY, b"written before the rotation")
    rotated = load_keyring(settings)
    new_key = rotated.add_key()  # what `python -m studio_app keys rotate` does to the key file
    after = load_keyring(settings)  # a process started after the rotation
    new_blob = seal_state(after, KEY, b"written after")
    assert sealed_key_id(old_blob) == before.active_key_id and sealed_key_id(new_blob) == new_key.key_id
    assert open_state(after, KEY, old_blob) == b"written before the rotation"
    assert open_state(after, KEY, new_blob) == b"written after"
    # A process still on the old ring finds the new key in the file when it meets it (a rotation from the admin
    # console happens in one worker), and seals under it from then on.
    assert open_state(before, KEY, new_blob) == b"written after" and before.active_key_id == new_key.key_id


def test_the_store_key_is_not_the_master_key(settings):
    """A blob is not sealed under the master key itself (which only wraps data keys)."""
    from studio_app.security.crypto import Binding, unseal

    keyring = load_keyring(settings)
    sealed = seal_state(keyring, KEY, b"x")
    with pytest.raises(DecryptionError):
        unseal(lambda key_id: keyring.get(key_id).secret, sealed, Binding("reflex_state", "state", KEY))
