"""Streaming AES-256-GCM for blobs (stored files, exports): constant memory whatever the size.

Layout: ``magic (4) | nonce prefix (7)`` then chunks of at most ``CHUNK_BYTES`` plaintext, each sealed
as ``length (4) | ciphertext+tag``. Chunk ``i`` uses nonce ``prefix | i (4 bytes) | last flag (1)``
(the STREAM construction), and every chunk authenticates the blob's binding, so chunks cannot be
reordered, dropped, truncated at a chunk boundary, or moved to another blob.

Every chunk but the last holds exactly ``CHUNK_BYTES``, so chunk ``i`` starts at a known offset
(``sealed_offset``): a blob can be written over several sittings (``ChunkSealer``, resumable uploads) and read
from the middle (``open_range``, seeking in a video) without touching the chunks before.
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
HEADER_BYTES = len(MAGIC) + 7
SEALED_CHUNK_BYTES = 4 + CHUNK_BYTES + _TAG_BYTES  # every chunk but the last, sealed


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


def new_header() -> bytes:
    """The header of a new blob (its random nonce prefix), for ``ChunkSealer``."""
    return MAGIC + os.urandom(7)


def sealed_offset(index: int) -> int:
    """Where chunk ``index`` starts in a sealed blob."""
    return HEADER_BYTES + index * SEALED_CHUNK_BYTES


def chunk_count(plaintext_size: int) -> int:
    """How many chunks a blob of that size has (an empty blob has one, empty)."""
    return max(1, -(-plaintext_size // CHUNK_BYTES))


class ChunkSealer:
    """Seals chunk by chunk, by index, a blob whose header was written before (maybe by another process):
    the caller keeps the order and says which chunk is the last. Every chunk but the last is ``CHUNK_BYTES``."""

    def __init__(self, data_key: DataKey, binding: bytes, header: bytes):
        if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
            raise DecryptionError("not a sealed blob")
        self._aead = AESGCM(data_key.secret)
        self._prefix = header[len(MAGIC):]
        self._binding = binding

    def seal(self, index: int, chunk: bytes | bytearray | memoryview, *, last: bool) -> bytes:
        if not last and len(chunk) != CHUNK_BYTES:
            raise ValueError("only the last chunk may be shorter")
        sealed = self._aead.encrypt(_nonce(self._prefix, index, last), bytes(chunk), self._binding)
        return struct.pack(">I", len(sealed)) + sealed

    def open(self, index: int, record: bytes, *, last: bool) -> bytes:
        """The plaintext of one sealed chunk (its length prefix included), e.g. to hash what was stored."""
        try:
            return self._aead.decrypt(_nonce(self._prefix, index, last), record[4:], self._binding)
        except InvalidTag:
            raise DecryptionError("sealed blob was altered, truncated or moved") from None


def open_range(data_key: DataKey, source: BinaryIO, binding: bytes, plaintext_size: int, start: int, end: int
               ) -> Iterator[bytes]:
    """Plaintext bytes ``[start, end)`` of a sealed blob of ``plaintext_size`` bytes from a seekable ``source``,
    reading and opening only the chunks that hold them."""
    if not 0 <= start <= end <= plaintext_size:
        raise ValueError("range outside the blob")
    if start == end:
        return
    source.seek(0)
    sealer = ChunkSealer(data_key, binding, source.read(HEADER_BYTES))
    count = chunk_count(plaintext_size)
    for index in range(start // CHUNK_BYTES, (end - 1) // CHUNK_BYTES + 1):
        source.seek(sealed_offset(index))
        record = _read_chunk(source)
        if record is None:
            raise DecryptionError("sealed blob is truncated")
        plain = sealer.open(index, b"\0\0\0\0" + record, last=index == count - 1)
        base = index * CHUNK_BYTES
        yield plain[max(start - base, 0):min(end - base, len(plain))]
