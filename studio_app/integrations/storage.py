"""Blob storage: local files under ``<data_dir>/media`` (the embedded default).

Keys are random ids made here, never user-given names. A write lands under a temporary name and is
renamed into place only when complete, so a crash half-way leaves no blob that a row could point to
(``sweep_partial`` removes the leftovers). Files are 0600 in 0700 folders.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from studio_app.settings import current_settings

_PARTIAL_SUFFIX = ".partial"


class BlobMissing(FileNotFoundError):
    pass


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    @staticmethod
    def new_key() -> str:
        return secrets.token_hex(16)

    def path_of(self, key: str) -> Path:
        if len(key) != 32 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("not a storage key")
        return self.root / key[:2] / key

    @contextlib.contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        """Write a blob; it exists under ``key`` only if the block finishes without an exception."""
        final = self.path_of(key)
        final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = final.with_name(final.name + f".{secrets.token_hex(4)}{_PARTIAL_SUFFIX}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)

    @contextlib.contextmanager
    def reader(self, key: str) -> Iterator[BinaryIO]:
        try:
            handle = open(self.path_of(key), "rb")  # noqa: SIM115 - closed by the context manager
        except FileNotFoundError:
            raise BlobMissing(key) from None
        with handle:
            yield handle

    def size(self, key: str) -> int:
        try:
            return self.path_of(key).stat().st_size
        except FileNotFoundError:
            raise BlobMissing(key) from None

    def exists(self, key: str) -> bool:
        return self.path_of(key).exists()

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        if not self.root.exists():
            return
        for path in self.root.glob("??/*"):
            if not path.name.endswith(_PARTIAL_SUFFIX):
                yield path.name

    def sweep_partial(self, *, older_than_seconds: float = 86400) -> int:
        """Remove writes that never finished (a process killed half-way); recent ones may still be running."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        for path in self.root.glob(f"??/*{_PARTIAL_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed


@functools.cache
def current_storage() -> LocalStorage:
    return LocalStorage(current_settings().media_dir)
