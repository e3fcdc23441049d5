"""Streaming blob encryption: round trip, and every way of tampering with a sealed blob is refused."""

import io
import os

import pytest

from studio_app.security import stream_crypto
from studio_app.security.crypto import DataKey, DecryptionError
from studio_app.security.stream_crypto import CHUNK_BYTES, open_chunks, seal_chunks

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
