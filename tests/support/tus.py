"""A small tus 1.0 client for tests and benchmarks: what Uppy's tus plugin sends, over httpx."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
from urllib.parse import urlsplit

import httpx

TUS = {"tus-resumable": "1.0.0"}
CHUNK = 1024 * 1024


def fake_video(size: int, *, seed: int | None = None) -> bytes:
    """Bytes an MP4 starts with (an ``ftyp`` box), then noise: passes the sniff, compares exactly."""
    head = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
    body = os.urandom(size - len(head)) if seed is None else _noise(size - len(head), seed)
    return head + body


def _noise(size: int, seed: int) -> bytes:
    out, counter = bytearray(), 0
    while len(out) < size:
        out += hashlib.sha512(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


class TusClient:
    def __init__(self, client: httpx.Client, origin: str, cookie: str | None):
        self.http, self.origin = client, origin
        self.headers = TUS | {"origin": origin} | ({"cookie": f"studio_session={cookie}"} if cookie else {})

    def create(self, length: int, *, project: str, filename: str = "clip.mp4", kind: str = "rush",
               body: bytes | None = None, **extra) -> httpx.Response:
        headers = self.headers | {"upload-length": str(length),
                                  "upload-metadata": metadata(project=project, filename=filename, kind=kind)}
        if body is not None:
            headers["content-type"] = "application/offset+octet-stream"
        return self.http.post("/api/uploads", headers=headers | extra, content=body)

    def head(self, location: str, **extra) -> httpx.Response:
        return self.http.head(location, headers=self.headers | extra)

    def patch(self, location: str, offset: int, data: bytes, *, checksum: str | None = None, **extra
              ) -> httpx.Response:
        headers = self.headers | {"upload-offset": str(offset), "content-type": "application/offset+octet-stream"}
        if checksum is not None:  # the algorithm's name: the digest of ``data`` goes with it
            digest = base64.b64encode(hashlib.new(checksum, data).digest()).decode()
            headers["upload-checksum"] = f"{checksum} {digest}"
        return self.http.patch(location, headers=headers | extra, content=data)

    def delete(self, location: str, **extra) -> httpx.Response:
        return self.http.delete(location, headers=self.headers | extra)

    def upload(self, data: bytes, *, project: str, chunk: int = 4 * CHUNK, **create) -> httpx.Response:
        """A whole upload in ``chunk``-sized PATCHes; returns the last PATCH's answer."""
        created = self.create(len(data), project=project, **create)
        assert created.status_code == 201, created.text
        location, offset, answer = created.headers["location"], 0, created
        while offset < len(data):
            answer = self.patch(location, offset, data[offset:offset + chunk])
            assert answer.status_code == 204, answer.text
            offset = int(answer.headers["upload-offset"])
        return answer


def patch_then_cut(base_url: str, location: str, offset: int, data: bytes, send: int, headers: dict[str, str],
                   *, before_cut=None) -> None:
    """A PATCH that announces all of ``data`` but whose connection dies (RST) after ``send`` bytes."""
    parts = urlsplit(base_url)
    connection = socket.create_connection((parts.hostname, parts.port))
    lines = [f"PATCH {location} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(data)}",
             "Content-Type: application/offset+octet-stream", f"Upload-Offset: {offset}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    view = memoryview(data)[:send]
    while view:
        sent = connection.send(view[:CHUNK])
        view = view[sent:]
    if before_cut is not None:
        before_cut()
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    connection.close()
