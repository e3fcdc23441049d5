"""The sealed disk store's files: private, and purged without listing the folder (its cost does not grow with
the number of past tabs)."""

import os
import stat
import time
from pathlib import Path

import pytest

from studio_app.security import keyring
from studio_app.settings import current_settings
from studio_app.state import store
from studio_app.state.store import SealedDiskStateManager
from tests.support.app_env import clear_process_caches


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path))
    clear_process_caches()
    yield tmp_path
    clear_process_caches()


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_are_private_and_only_expired_ones_are_purged_without_listing(data_dir, monkeypatch):
    (data_dir / "states").mkdir(mode=0o755)  # a folder left by an older version
    manager = SealedDiskStateManager(token_expiration=60)
    folder = manager.states_directory
    assert folder == data_dir / "states" and mode_of(folder) == 0o700
    paths = [folder / f"tab-{number}.pkl" for number in range(2000)]
    for path in paths:
        manager._write(path, b"sealed")
    assert {mode_of(path) for path in paths} == {0o600}
    for path in paths[:3]:  # the first three tabs written have not been written again for longer than the expiry
        manager._written[path] -= 120

    def no_listing(*args, **kwargs):
        raise AssertionError("the purge listed or stat-ed the folder")

    monkeypatch.setattr(Path, "iterdir", no_listing)
    monkeypatch.setattr(Path, "stat", no_listing)
    manager._purge_expired_states()
    monkeypatch.undo()
    assert [path.exists() for path in paths[:4]] == [False, False, False, True]
    assert len(list(folder.iterdir())) == 1997


def test_files_of_an_earlier_run_join_the_purge_at_start(data_dir):
    folder = data_dir / "states"
    folder.mkdir(mode=0o700)
    old, recent = folder / "old.pkl", folder / "recent.pkl"
    for path in (old, recent):
        path.write_bytes(b"sealed")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    SealedDiskStateManager(token_expiration=3600)
    assert not old.exists() and recent.exists()


def test_a_blob_sealed_after_another_process_rotated_the_keys_still_opens(data_dir):
    key = "tab_reflex___state____state"
    sealed_before = store.seal(key, b"before")
    keyring.current_keys().keyring  # noqa: B018  (this process has loaded its ring)
    rotated = keyring.load_keyring(current_settings())
    rotated.add_key()
    from studio_app.security.state_sealing import seal_state

    sealed_elsewhere = seal_state(keyring.load_keyring(current_settings()), key, b"after")
    assert store.unseal(key, sealed_before) == b"before"
    assert store.unseal(key, sealed_elsewhere) == b"after"  # this process's ring did not have that key yet
    assert store.unseal("another_tab", sealed_elsewhere) is None  # a blob that does not open is a fresh state


def test_tabs_in_memory_are_purged_by_walking_only_the_expired_ones(data_dir):
    import reflex as rx

    manager = SealedDiskStateManager(token_expiration=60)
    now = time.time()
    tokens = [rx.BaseStateToken(ident=f"tab-{number}", cls=rx.State) for number in range(5)]
    for token in tokens:
        manager._token_last_touched[token.cache_key] = (now - 120, token)
    manager._token_last_touched[tokens[0].cache_key] = (now, tokens[0])  # used again: it moves to the end
    assert list(manager._token_last_touched)[-1] == tokens[0].cache_key
    # Behind the first tab still in use, an entry the walk would choke on: it must never get there.
    manager._token_last_touched["poison"] = "not a (time, token) pair"
    manager._purge_expired_tokens(now)
    assert list(manager._token_last_touched) == [tokens[0].cache_key, "poison"]
