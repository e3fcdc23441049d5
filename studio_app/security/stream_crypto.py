"""Streaming AES-256-GCM for blobs (stored files, exports): constant memory whatever the size.

Layout: ``magic (4) | nonce prefix (7)`` then chunks of at most ``CHUNK_BYTES`` plaintext, each sealed
as ``length (4) | ciphertext+tag``. Chunk ``i`` uses nonce ``prefix | i (4 bytes) | last flag (1)``
(the STREAM construction), and every chunk authenticates the blob's binding, so chunks cannot be
reordered, dropped, truncated at a chunk boundary, or moved to another blob.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from studio_app.security.crypto import DataKey, DecryptionError

MAGIC = b"AZS1"
CHUNK_BYTES = 1024 * 1024
_TAG_BYTES = 16
_MAX_CHUNKS = 2**32 - 1


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    if index > _MAX_CHUNKS:
        raise ValueError("blob too large for one stream")
    return prefix + struct.pack(">IB", index, 1 if last else 0)


class SealingWriter:
    """A write-only binary file that seals what it is given into ``target`` (for zipfile and copies)."""

    def __init__(self, target: BinaryIO, data_key: DataKey, binding: bytes):
        self._target = target
        self._aead = AESGCM(data_key.secret)
        self._prefix = os.urandom(7)
        self._binding = binding
        self._buffer = bytearray()
        self._index = 0
        self._written = 0
        self.closed = False
        target.write(MAGIC + self._prefix)

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        self._target.flush()

    def write(self, data: bytes) -> int:
        view = memoryview(data).cast("B")
        size = len(view)
        self._written += size
        while view:
            if len(self._buffer) == CHUNK_BYTES:  # full, and more follows: it is not the last chunk
                self._seal(self._buffer, last=False)
                self._buffer = bytearray()
            room = CHUNK_BYTES - len(self._buffer)
            self._buffer += view[:room]
            view = view[room:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._seal(self._buffer, last=True)
            self._buffer = bytearray()
            self.closed = True

    def _seal(self, chunk: bytes | bytearray, *, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._prefix, self._index, last), chunk, self._binding)
        self._target.write(struct.pack(">I", len(sealed)))
        self._target.write(sealed)
        self._index += 1


def seal_chunks(data_key: DataKey, chunks: Iterable[bytes], binding: bytes, target: BinaryIO) -> int:
    """Seal ``chunks`` into ``target``; returns the plaintext size."""
    writer = SealingWriter(target, data_key, binding)
    for chunk in chunks:
        writer.write(chunk)
    writer.close()
    return writer.tell()


def open_chunks(data_key: DataKey, source: BinaryIO, binding: bytes) -> Iterator[bytes]:
    """Yield the plaintext of a sealed blob, chunk by chunk; raises DecryptionError on any alteration."""
    header = source.read(len(MAGIC) + 7)
    if len(header) != len(MAGIC) + 7 or not header.startswith(MAGIC):
        raise DecryptionError("not a sealed blob")
    prefix = header[len(MAGIC):]
    aead = AESGCM(data_key.secret)
    index = 0
    pending = _read_chunk(source)
    if pending is None:
        raise DecryptionError("sealed blob is truncated")
    while pending is not None:
        following = _read_chunk(source)
        last = following is None
        try:
            yield aead.decrypt(_nonce(prefix, index, last), pending, binding)
        except InvalidTag:
            raise DecryptionError("sealed blob was altered, truncated or moved") from None
        pending, index = following, index + 1


def _read_chunk(source: BinaryIO) -> bytes | None:
    length = source.read(4)
    if not length:
        return None
    if len(length) != 4:
        raise DecryptionError("sealed blob is truncated")
    (size,) = struct.unpack(">I", length)
    if size < _TAG_BYTES or size > CHUNK_BYTES + _TAG_BYTES:
        raise DecryptionError("sealed blob is malformed")
    chunk = source.read(size)
    if len(chunk) != size:
        raise DecryptionError("sealed blob is truncated")
    return chunk
