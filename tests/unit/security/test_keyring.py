import base64
import os
import stat

import pytest

from studio_app.security.keyring import (
    INDEX_KEY_FILE,
    MASTER_KEYS_FILE,
    PASSWORD_PEPPER_FILE,
    KeyFileError,
    KeyRingError,
    load_keyring,
    load_keys,
)
from studio_app.settings import SettingsError, load_settings
from tests.support.keys import encoded_key


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def environment_with_keys(tmp_path, master_keys: str) -> dict[str, str]:
    return {
        "STUDIO_DATA_DIR": str(tmp_path),
        "STUDIO_MASTER_KEYS": master_keys,
        "STUDIO_INDEX_KEY": encoded_key(),
        "STUDIO_PASSWORD_PEPPER": encoded_key(),
    }


def test_first_load_creates_private_key_files(settings):
    load_keys(settings)

    assert mode_of(settings.keys_dir) == 0o700
    for name in (MASTER_KEYS_FILE, INDEX_KEY_FILE, PASSWORD_PEPPER_FILE):
        assert mode_of(settings.keys_dir / name) == 0o600


def test_next_load_reuses_the_same_keys(settings):
    first = load_keys(settings)
    second = load_keys(settings)

    assert second.keyring.active_key == first.keyring.active_key
    assert second.index_key == first.index_key
    assert second.password_pepper == first.password_pepper
    assert len({first.keyring.active_key.secret, first.index_key, first.password_pepper}) == 3


def test_key_file_readable_by_others_is_refused(settings):
    load_keyring(settings)
    (settings.keys_dir / MASTER_KEYS_FILE).chmod(0o644)

    with pytest.raises(KeyFileError, match="chmod 600"):
        load_keyring(settings)


def test_corrupt_key_file_names_the_file(settings):
    load_keyring(settings)
    (settings.keys_dir / MASTER_KEYS_FILE).write_text("k1:not-base64\n")

    with pytest.raises(KeyFileError) as raised:
        load_keyring(settings)
    assert MASTER_KEYS_FILE in str(raised.value)


def test_add_key_makes_it_active_and_saves_it(settings):
    keyring = load_keyring(settings)
    old = keyring.active_key

    new = keyring.add_key("k2")

    assert keyring.active_key_id == "k2"
    assert keyring.get(old.key_id) == old
    reloaded = load_keyring(settings)
    assert reloaded.active_key == new
    assert reloaded.key_ids == (old.key_id, "k2")
    assert mode_of(settings.keys_dir / MASTER_KEYS_FILE) == 0o600
    assert [path.name for path in settings.keys_dir.iterdir() if path.name.endswith(".tmp")] == []


def test_add_key_refuses_a_duplicate_id(settings):
    keyring = load_keyring(settings)

    with pytest.raises(KeyRingError):
        keyring.add_key(keyring.active_key_id)


def test_master_keys_from_environment_last_is_active(tmp_path):
    old, new = os.urandom(32), os.urandom(32)
    master_keys = f"old:{base64.b64encode(old).decode()}, new:{base64.b64encode(new).decode()}"
    settings = load_settings(environment_with_keys(tmp_path, master_keys))

    keyring = load_keyring(settings)

    assert keyring.active_key_id == "new"
    assert keyring.get("old").secret == old
    assert keyring.get("new").secret == new
    assert not (settings.keys_dir / MASTER_KEYS_FILE).exists()


def test_environment_keyring_cannot_add_keys(tmp_path):
    settings = load_settings(environment_with_keys(tmp_path, f"k1:{encoded_key()}"))

    with pytest.raises(KeyRingError, match="STUDIO_MASTER_KEYS"):
        load_keyring(settings).add_key()


def test_settings_repr_shows_no_key_material(tmp_path):
    environment = environment_with_keys(tmp_path, f"k1:{encoded_key()}")
    settings = load_settings(environment)

    for variable in ("STUDIO_MASTER_KEYS", "STUDIO_INDEX_KEY", "STUDIO_PASSWORD_PEPPER"):
        secret = base64.b64decode(environment[variable].rpartition(":")[2])
        assert repr(secret) not in repr(settings)


PROBLEMS = ("not keyid:base64key", "not valid base64", "16 bytes", "key id", "more than once", "at least one")


@pytest.mark.parametrize(
    ("master_keys", "problem"),
    list(zip(["k1", "k1:%%%", f"k1:{base64.b64encode(os.urandom(16)).decode()}", f"bad id!:{encoded_key()}",
              f"k1:{encoded_key()},k1:{encoded_key()}", " , "], PROBLEMS, strict=True)),
    ids=PROBLEMS,  # the random keys never name a test: parallel workers must collect the same ids
)
def test_bad_master_keys_raise_settings_error_naming_the_variable(tmp_path, master_keys, problem):
    with pytest.raises(SettingsError, match=problem) as raised:
        load_settings(environment_with_keys(tmp_path, master_keys))

    assert raised.value.variable == "STUDIO_MASTER_KEYS"
    assert "STUDIO_MASTER_KEYS" in str(raised.value)


def test_bad_index_key_raises_settings_error_naming_the_variable(tmp_path):
    environment = environment_with_keys(tmp_path, f"k1:{encoded_key()}") | {"STUDIO_INDEX_KEY": "c2hvcnQ="}

    with pytest.raises(SettingsError) as raised:
        load_settings(environment)

    assert raised.value.variable == "STUDIO_INDEX_KEY"


def test_master_keys_without_pepper_is_refused(tmp_path):
    environment = environment_with_keys(tmp_path, f"k1:{encoded_key()}")
    del environment["STUDIO_PASSWORD_PEPPER"]

    with pytest.raises(SettingsError) as raised:
        load_settings(environment)

    assert raised.value.variable == "STUDIO_PASSWORD_PEPPER"


def test_add_key_refuses_an_id_the_file_format_cannot_hold(settings):
    keyring = load_keyring(settings)

    with pytest.raises(KeyRingError, match="key id"):
        keyring.add_key("bad id!")
    assert load_keyring(settings).key_ids == keyring.key_ids


def test_add_key_keeps_a_key_another_process_added(settings):
    ours, theirs = load_keyring(settings), load_keyring(settings)
    theirs.add_key("theirs")

    ours.add_key("ours")

    assert load_keyring(settings).key_ids[-2:] == ("theirs", "ours")


def test_pepper_file_readable_by_others_is_refused(settings):
    load_keys(settings)
    (settings.keys_dir / PASSWORD_PEPPER_FILE).chmod(0o640)

    with pytest.raises(KeyFileError, match="chmod 600"):
        load_keys(settings)
