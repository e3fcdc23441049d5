"""A chunk's body is let go once it is sent: the publisher holds one chunk at a time, however many it uploads."""

import gc
import os
import tracemalloc

import httpx

from studio_app.integrations.tiktok import MB, TikTokClient, chunk_plan
from tests.integration.providers.conftest import connect_tiktok

PIECE = 1024 * 1024


def test_uploading_chunk_after_chunk_keeps_one_chunk_in_memory(sandbox):
    plan = chunk_plan(6 * 5 * MB, preferred=5 * MB)
    pattern = os.urandom(PIECE)
    with httpx.Client(timeout=httpx.Timeout(10.0)) as http:
        client = TikTokClient(sandbox.tiktok_endpoints, http=http)
        token = connect_tiktok(sandbox, client).access_token
        init = client.init_upload(token, post_info={"title": "memory", "privacy_level": "SELF_ONLY"},
                                  video_size=plan.video_size, chunk_size=plan.chunk_size,
                                  total_chunk_count=plan.total_chunk_count)
        gc.collect()
        gc.disable()  # what httpx keeps in reference cycles stays until the collector runs: do not let it run
        tracemalloc.start()
        try:
            for first, last in plan.ranges():
                size = last - first + 1
                # Fresh pieces, as decryption makes them (bytes of bytes would be the same object).
                pieces = [bytes(bytearray(pattern[:min(PIECE, size - offset)])) for offset in range(0, size, PIECE)]
                client.upload_chunk(init.upload_url, pieces, first_byte=first, last_byte=last,
                                    total_size=plan.video_size)
                del pieces
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            gc.enable()
    assert peak < 2 * plan.chunk_size, f"{peak / MB:.1f} MB held while uploading {plan.total_chunk_count} chunks"


def test_decrypting_ahead_keeps_the_order_hands_on_errors_and_stops_its_thread_when_closed():
    import threading

    import pytest

    from studio_app.jobs.publications import _decrypted_ahead

    def decrypting():
        yield from (bytes([index]) for index in range(50))
        raise ValueError("sealed blob was altered")

    ahead = _decrypted_ahead(decrypting(), depth=3)
    assert [next(ahead) for _ in range(50)] == [bytes([index]) for index in range(50)]
    with pytest.raises(ValueError, match="altered"):
        next(ahead)

    closed = []

    def endless():
        try:
            while True:
                yield b"x"
        finally:
            closed.append(True)

    ahead = _decrypted_ahead(endless(), depth=3)
    next(ahead)
    ahead.close()  # an upload that failed half-way
    assert closed == [True]
    assert not [thread for thread in threading.enumerate() if thread.name == "publication-decrypt"]
