
import pytest

from studio_app.security.crypto import (
    DataKey,
    DecryptionError,
    decrypt_field,
    encrypt_field,
    new_data_key,
    rewrap_data_key,
    sealed_key_id,
    unwrap_data_key,
)
from studio_app.security.keyring import load_keyring

WHERE = {"table": "user", "column": "display_name", "row_id": 7}


@pytest.fixture
def keyring(settings):
    return load_keyring(settings)


@pytest.fixture
def data_key(keyring):
    key, _wrapped = new_data_key(keyring, owner_id=7)
    return key


def test_round_trip(data_key):
    sealed = encrypt_field(data_key, "Zoé Martin 🎬", **WHERE)

    assert decrypt_field(data_key, sealed, **WHERE) == "Zoé Martin 🎬"


def test_sealed_value_hides_the_plaintext_and_differs_each_time(data_key):
    first = encrypt_field(data_key, "zoe@example.com", **WHERE)
    second = encrypt_field(data_key, "zoe@example.com", **WHERE)

    assert b"zoe@example.com" not in first
    assert first != second


@pytest.mark.parametrize("position", [0, 1, 5, 20, -1])
def test_tampered_value_fails(data_key, position):
    sealed = bytearray(encrypt_field(data_key, "Zoé", **WHERE))
    sealed[position] ^= 0x01

    with pytest.raises(DecryptionError):
        decrypt_field(data_key, bytes(sealed), **WHERE)


def test_truncated_value_fails(data_key):
    sealed = encrypt_field(data_key, "Zoé", **WHERE)

    with pytest.raises(DecryptionError):
        decrypt_field(data_key, sealed[:20], **WHERE)


@pytest.mark.parametrize(
    "moved_to",
    [
        WHERE | {"row_id": 8},
        WHERE | {"column": "email"},
        WHERE | {"table": "client"},
    ],
)
def test_value_moved_to_another_row_column_or_table_fails(data_key, moved_to):
    sealed = encrypt_field(data_key, "Zoé", **WHERE)

    with pytest.raises(DecryptionError, match="another row or column"):
        decrypt_field(data_key, sealed, **moved_to)


def test_another_users_data_key_fails(keyring, data_key):
    other_key, _ = new_data_key(keyring, owner_id=8)
    sealed = encrypt_field(data_key, "Zoé", **WHERE)

    with pytest.raises(DecryptionError):
        decrypt_field(other_key, sealed, **WHERE)


def test_wrapped_data_key_unwraps_to_the_same_key(keyring):
    data_key, wrapped = new_data_key(keyring, owner_id=7)

    assert data_key.secret not in wrapped
    assert sealed_key_id(wrapped) == keyring.active_key_id
    assert unwrap_data_key(keyring, wrapped, owner_id=7) == data_key


def test_wrapped_data_key_moved_to_another_user_fails(keyring):
    _, wrapped = new_data_key(keyring, owner_id=7)

    with pytest.raises(DecryptionError):
        unwrap_data_key(keyring, wrapped, owner_id=8)


def test_wrapped_data_key_fails_under_another_key_ring(settings, tmp_path_factory):
    _, wrapped = new_data_key(load_keyring(settings), owner_id=7)
    other_settings = settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("other")})
    other_keyring = load_keyring(other_settings)
    # Same key id, different secret: the tag check, not the id lookup, must catch it.
    other_keyring.add_key(sealed_key_id(wrapped))

    with pytest.raises(DecryptionError):
        unwrap_data_key(other_keyring, wrapped, owner_id=7)


def test_old_values_still_decrypt_after_a_new_master_key(keyring):
    data_key, wrapped = new_data_key(keyring, owner_id=7)
    sealed = encrypt_field(data_key, "Zoé", **WHERE)

    keyring.add_key()

    assert decrypt_field(unwrap_data_key(keyring, wrapped, owner_id=7), sealed, **WHERE) == "Zoé"


def test_rewrap_moves_the_data_key_to_the_active_master_key(keyring):
    data_key, wrapped = new_data_key(keyring, owner_id=7)
    old_key_id = keyring.active_key_id
    keyring.add_key()

    rewrapped = rewrap_data_key(keyring, wrapped, owner_id=7)

    assert sealed_key_id(wrapped) == old_key_id
    assert sealed_key_id(rewrapped) == keyring.active_key_id != old_key_id
    assert unwrap_data_key(keyring, rewrapped, owner_id=7) == data_key


def test_rewrap_leaves_a_data_key_already_under_the_active_key(keyring):
    _, wrapped = new_data_key(keyring, owner_id=7)

    assert rewrap_data_key(keyring, wrapped, owner_id=7) is wrapped


def test_value_under_a_master_key_no_longer_held_fails_clearly(keyring, settings):
    _, wrapped = new_data_key(keyring, owner_id=7)
    other_ring_settings = settings.model_copy(update={"master_keys": (("elsewhere", b"\x00" * 32),)})

    with pytest.raises(DecryptionError, match="not available"):
        unwrap_data_key(load_keyring(other_ring_settings), wrapped, owner_id=7)


def test_crypto_shredding_deleting_the_wrapped_key_leaves_nothing_decryptable(keyring):
    data_key, wrapped = new_data_key(keyring, owner_id=7)
    sealed_name = encrypt_field(data_key, "Zoé", **WHERE)
    field_key_id = sealed_key_id(sealed_name)
    del data_key, wrapped

    # What is left after the wrapped key row is deleted: the master keys (other users need
    # them) and new data keys. Try each as the field's key, under the field's own key id so
    # that only the authentication tag can refuse.
    candidates = [keyring.get(key_id).secret for key_id in keyring.key_ids]
    candidates.append(new_data_key(keyring, owner_id=7)[0].secret)
    for secret in candidates:
        with pytest.raises(DecryptionError, match="key is wrong"):
            decrypt_field(DataKey(field_key_id, secret), sealed_name, **WHERE)


def test_key_id_in_the_header_is_authenticated(data_key):
    relabelled_key = DataKey("f" * len(data_key.key_id), data_key.secret)
    sealed = encrypt_field(data_key, "Zoé", **WHERE)
    relabelled = sealed.replace(data_key.key_id.encode(), relabelled_key.key_id.encode(), 1)

    with pytest.raises(DecryptionError):
        decrypt_field(relabelled_key, relabelled, **WHERE)
