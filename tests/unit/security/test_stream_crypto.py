"""Streaming blob encryption: round trip, and every way of tampering with a sealed blob is refused."""

import io
import os

import pytest

from studio_app.security import stream_crypto
from studio_app.security.crypto import DataKey, DecryptionError
from studio_app.security.stream_crypto import (
    CHUNK_BYTES,
    SEALED_CHUNK_BYTES,
    ChunkSealer,
    new_header,
    open_chunks,
    open_range,
    seal_chunks,
)

KEY = DataKey("k1", os.urandom(32))
BINDING = b"stored_file:abc"


def sealed(data: bytes, binding: bytes = BINDING) -> bytes:
    target = io.BytesIO()
    assert seal_chunks(KEY, [data[i:i + 7777] for i in range(0, len(data), 7777)] or [b""], binding, target) \
        == len(data)
    return target.getvalue()


def opened(blob: bytes, binding: bytes = BINDING, key: DataKey = KEY) -> bytes:
    return b"".join(open_chunks(key, io.BytesIO(blob), binding))


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 3 * CHUNK_BYTES + 5])
def test_round_trip_at_chunk_boundaries(size):
    data = os.urandom(size)
    blob = sealed(data)
    assert opened(blob) == data
    assert size < 64 or data[:64] not in blob


def test_tampering_is_refused():
    data = os.urandom(2 * CHUNK_BYTES + 10)
    blob = sealed(data)
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 1
    chunk = 4 + CHUNK_BYTES + 16
    header = len(stream_crypto.MAGIC) + 7
    cases = {
        "flipped bit": bytes(flipped),
        "last chunk dropped": blob[: header + 2 * chunk],  # truncation at a chunk boundary
        "cut mid-chunk": blob[:-5],
        "chunks swapped": blob[:header] + blob[header + chunk: header + 2 * chunk] + blob[header: header + chunk]
        + blob[header + 2 * chunk:],
        "not a blob": b"hello world",
    }
    for name, altered in cases.items():
        with pytest.raises(DecryptionError):
            opened(altered)
        assert name
    with pytest.raises(DecryptionError):
        opened(blob, binding=b"stored_file:other")  # moved to another row
    with pytest.raises(DecryptionError):
        opened(blob, key=DataKey("k2", os.urandom(32)))


def test_the_writer_keeps_memory_to_one_chunk():
    target = io.BytesIO()
    writer = stream_crypto.SealingWriter(target, KEY, BINDING)
    for _ in range(10):
        writer.write(os.urandom(CHUNK_BYTES // 2 + 3))
        assert len(writer._buffer) <= CHUNK_BYTES
    writer.close()
    assert len(opened(target.getvalue())) == 10 * (CHUNK_BYTES // 2 + 3)


@pytest.mark.parametrize("sizes", [
    [], [0], [CHUNK_BYTES], [CHUNK_BYTES, CHUNK_BYTES], [100] * 30_000, [CHUNK_BYTES - 1, 2, CHUNK_BYTES - 1],
])
def test_any_sequence_of_writes_round_trips_in_full_chunks(sizes):
    pieces = [os.urandom(size) for size in sizes]
    target = io.BytesIO()
    writer = stream_crypto.SealingWriter(target, KEY, BINDING)
    for piece in pieces:
        writer.write(piece)
    writer.close()
    plain = b"".join(pieces)
    assert writer.tell() == len(plain) and opened(target.getvalue()) == plain
    chunks = max(1, -(-len(plain) // CHUNK_BYTES))  # full chunks, then the last one
    assert len(target.getvalue()) == len(stream_crypto.MAGIC) + 7 + len(plain) + chunks * (4 + 16)


def test_the_writer_takes_memoryviews_and_bytearrays():
    data = os.urandom(CHUNK_BYTES + 5)
    target = io.BytesIO()
    writer = stream_crypto.SealingWriter(target, KEY, BINDING)
    writer.write(memoryview(data)[:10])
    writer.write(bytearray(data[10:]))
    writer.close()
    assert opened(target.getvalue()) == data


class _CountingReader(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_a_range_opens_only_the_chunks_that_hold_it():
    key = KEY
    plain = os.urandom(6 * CHUNK_BYTES + 1000)
    sealed = io.BytesIO()
    seal_chunks(key, [plain], b"binding", sealed)
    source = _CountingReader(sealed.getvalue())
    start, end = 3 * CHUNK_BYTES + 10, 4 * CHUNK_BYTES + 20  # in chunks 3 and 4
    assert b"".join(open_range(key, source, b"binding", len(plain), start, end)) == plain[start:end]
    assert source.bytes_read < 2 * SEALED_CHUNK_BYTES + 100
    tail = _CountingReader(sealed.getvalue())
    assert b"".join(open_range(key, tail, b"binding", len(plain), len(plain) - 5, len(plain))) == plain[-5:]
    with pytest.raises(DecryptionError):  # the size is part of what is checked: the last chunk is flagged
        b"".join(open_range(key, io.BytesIO(sealed.getvalue()), b"binding", 6 * CHUNK_BYTES, 0, 10 + 5 * CHUNK_BYTES))


def test_chunks_sealed_in_several_sittings_open_as_one_blob():
    key = KEY
    plain = os.urandom(2 * CHUNK_BYTES + 77)
    header = new_header()
    blob = header + ChunkSealer(key, b"b", header).seal(0, plain[:CHUNK_BYTES], last=False)
    blob += ChunkSealer(key, b"b", header).seal(1, plain[CHUNK_BYTES:2 * CHUNK_BYTES], last=False)
    blob += ChunkSealer(key, b"b", header).seal(2, plain[2 * CHUNK_BYTES:], last=True)
    assert b"".join(open_chunks(key, io.BytesIO(blob), b"b")) == plain
    with pytest.raises(ValueError):
        ChunkSealer(key, b"b", header).seal(0, b"short", last=False)
