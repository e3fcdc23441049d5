"""Sealed blobs: whatever the sizes of the writes, the plaintext comes back; any cut or move is refused."""

import io
import os
import struct

import pytest

from studio_app.security.crypto import DataKey, DecryptionError
from studio_app.security.stream_crypto import CHUNK_BYTES, MAGIC, SealingWriter, open_chunks, seal_chunks

KEY = DataKey(key_id="k1", secret=os.urandom(32))
BINDING = b"data_export:abc"


def sealed(pieces) -> bytes:
    target = io.BytesIO()
    writer = SealingWriter(target, KEY, BINDING)
    for piece in pieces:
        writer.write(piece)
    writer.close()
    assert writer.tell() == sum(len(piece) for piece in pieces)
    return target.getvalue()


def chunks_of(blob: bytes) -> list[bytes]:
    """The sealed chunks of a blob, length prefixes included."""
    position, found = len(MAGIC) + 7, []
    while position < len(blob):
        (size,) = struct.unpack(">I", blob[position:position + 4])
        found.append(blob[position:position + 4 + size])
        position += 4 + size
    return found


@pytest.mark.parametrize("sizes", [
    [], [0], [1], [CHUNK_BYTES], [CHUNK_BYTES + 1], [CHUNK_BYTES, CHUNK_BYTES], [3 * CHUNK_BYTES + 17],
    [100] * 30_000, [CHUNK_BYTES - 1, 2, CHUNK_BYTES - 1],
])
def test_any_sequence_of_writes_round_trips(sizes):
    pieces = [os.urandom(size) for size in sizes]
    blob = sealed(pieces)
    plain = b"".join(pieces)
    assert b"".join(open_chunks(KEY, io.BytesIO(blob), BINDING)) == plain
    assert len(chunks_of(blob)) == max(1, -(-len(plain) // CHUNK_BYTES))  # full chunks, the last one marked


def test_memoryviews_and_bytearrays_are_accepted():
    data = os.urandom(CHUNK_BYTES + 5)
    blob = sealed([memoryview(data)[:10], bytearray(data[10:])])
    assert b"".join(open_chunks(KEY, io.BytesIO(blob), BINDING)) == data


def test_a_blob_cut_at_a_chunk_boundary_or_moved_is_refused():
    data = os.urandom(2 * CHUNK_BYTES + 10)
    blob = sealed([data])
    header, chunks = blob[:len(MAGIC) + 7], chunks_of(blob)
    with pytest.raises(DecryptionError):
        b"".join(open_chunks(KEY, io.BytesIO(header + b"".join(chunks[:-1])), BINDING))
    with pytest.raises(DecryptionError):
        b"".join(open_chunks(KEY, io.BytesIO(header + chunks[1] + chunks[0] + chunks[2]), BINDING))
    with pytest.raises(DecryptionError):
        b"".join(open_chunks(KEY, io.BytesIO(blob), b"data_export:other"))


def test_seal_chunks_reports_the_plaintext_size():
    target = io.BytesIO()
    assert seal_chunks(KEY, [b"ab", b"", b"cde"], BINDING, target) == 5
    assert b"".join(open_chunks(KEY, io.BytesIO(target.getvalue()), BINDING)) == b"abcde"
