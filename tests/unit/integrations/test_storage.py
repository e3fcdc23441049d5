"""Local blob storage: atomic writes, private files, safe keys, and the sweep of abandoned writes."""

import os
import stat

import pytest

from studio_app.integrations.storage import BlobMissing, LocalStorage


def test_a_blob_exists_only_once_its_write_finished(tmp_path):
    storage = LocalStorage(tmp_path / "media")
    key = storage.new_key()
    with pytest.raises(RuntimeError), storage.writer(key) as handle:
        handle.write(b"half")
        raise RuntimeError("crash half-way")
    assert not storage.exists(key) and list((tmp_path / "media").rglob("*.*")) == []
    with storage.writer(key) as handle:
        handle.write(b"whole")
    with storage.reader(key) as handle:
        assert handle.read() == b"whole"
    assert stat.S_IMODE(storage.path_of(key).stat().st_mode) == 0o600
    assert list(storage.keys()) == [key] and storage.size(key) == 5
    storage.delete(key)
    with pytest.raises(BlobMissing), storage.reader(key):
        pass


def test_keys_are_ours_never_paths(tmp_path):
    storage = LocalStorage(tmp_path)
    for bad in ("../../etc/passwd", "a" * 31, "A" * 32, "x/" + "a" * 30):
        with pytest.raises(ValueError):
            storage.path_of(bad)


def test_only_old_abandoned_writes_are_swept(tmp_path):
    storage = LocalStorage(tmp_path)
    folder = tmp_path / "ab"
    folder.mkdir()
    old, recent = folder / ("ab" + "0" * 30 + ".1234.partial"), folder / ("ab" + "1" * 30 + ".5678.partial")
    old.write_bytes(b"x")
    recent.write_bytes(b"y")
    os.utime(old, (1, 1))
    assert storage.sweep_partial() == 1
    assert not old.exists() and recent.exists()
