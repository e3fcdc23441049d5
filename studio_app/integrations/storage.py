"""Blob storage behind one interface: local files under ``<data_dir>/media`` (the embedded default), or an
S3-compatible bucket when ``STUDIO_S3_BUCKET`` is set (``S3Storage``).

Keys are random ids made here, never user-given names. A write appears under its key only when complete, so a
crash half-way leaves no blob that a row could point to: a local write lands under a temporary name and is
renamed into place (``sweep_partial`` removes the leftovers), an S3 write is a multipart upload completed at the
end (``sweep_partial`` aborts the abandoned ones). Local files are 0600 in 0700 folders. Blobs are sealed
before they get here (``security/stream_crypto.py``): storage never sees plaintext.

Uploads in progress wait in ``UploadStaging``, a local folder, until their last byte; ``adopt`` then makes the
finished file a blob (a hard link locally, a multipart upload to S3).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from studio_app.settings import Settings, current_settings

_PARTIAL_SUFFIX = ".partial"


class BlobMissing(FileNotFoundError):
    pass


def new_storage_key() -> str:
    return secrets.token_hex(16)


def _checked_key(key: str) -> str:
    if len(key) != 32 or any(c not in "0123456789abcdef" for c in key):
        raise ValueError("not a storage key")
    return key


class Storage(Protocol):
    """What every backend offers; the contract tests (``tests/integration/test_storage.py``) run on each."""

    def new_key(self) -> str: ...
    def writer(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]: ...
    def reader(self, key: str) -> contextlib.AbstractContextManager[BinaryIO]: ...  # seekable
    def adopt(self, key: str, path: Path) -> None: ...
    def size(self, key: str) -> int: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def keys(self) -> Iterator[str]: ...
    def sweep_partial(self, *, older_than_seconds: float = 86400) -> int: ...


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    @staticmethod
    def new_key() -> str:
        return new_storage_key()

    def path_of(self, key: str) -> Path:
        return self.root / _checked_key(key)[:2] / key

    def adopt(self, key: str, path: Path) -> None:
        """Make the finished file at ``path`` the blob ``key`` (a hard link: no copy; ``path`` stays)."""
        final = self.path_of(key)
        final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            os.link(path, final)
        except OSError:  # another file system: copy, through a temporary name like any write
            with self.writer(key) as target, open(path, "rb") as source:
                shutil.copyfileobj(source, target, 1024 * 1024)

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


_S3_PART_BYTES = 16 * 1024 * 1024  # memory held per write; S3 allows 10,000 parts: objects up to 156 GiB
_S3_READ_BYTES = 4 * 1024 * 1024  # what one ranged GET fetches ahead of a reader


class S3Storage:
    """An S3-compatible bucket (AWS, MinIO, Ceph...). Objects live under ``media/<2 hex>/<key>``."""

    prefix = "media/"

    def __init__(self, client, bucket: str):
        self.client, self.bucket = client, bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key, aws_secret_access_key=settings.s3_secret_key,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}, s3={"addressing_style": "path"}),
        )
        return cls(client, settings.s3_bucket)

    @staticmethod
    def new_key() -> str:
        return new_storage_key()

    def object_of(self, key: str) -> str:
        return f"{self.prefix}{_checked_key(key)[:2]}/{key}"

    @contextlib.contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        """A multipart upload, completed only if the block finishes without an exception (aborted otherwise)."""
        target = _MultipartWriter(self.client, self.bucket, self.object_of(key))
        try:
            yield target
            target.close()
        except BaseException:
            target.abort()
            raise

    @contextlib.contextmanager
    def reader(self, key: str) -> Iterator[BinaryIO]:
        handle = _RangedReader(self.client, self.bucket, self.object_of(key), self.size(key))
        with handle:
            yield handle

    def adopt(self, key: str, path: Path) -> None:
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(multipart_threshold=_S3_PART_BYTES, multipart_chunksize=_S3_PART_BYTES,
                                max_concurrency=4)
        self.client.upload_file(str(path), self.bucket, self.object_of(key), Config=config)

    def size(self, key: str) -> int:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=self.object_of(key))["ContentLength"]
        except self.client.exceptions.ClientError as error:
            if _is_missing(error):
                raise BlobMissing(key) from None
            raise

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except BlobMissing:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.object_of(key))

    def keys(self) -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                yield item["Key"].rsplit("/", 1)[-1]

    def sweep_partial(self, *, older_than_seconds: float = 86400) -> int:
        """Abort multipart uploads that never finished (a process killed half-way)."""
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        removed = 0
        for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket,
                                                                                 Prefix=self.prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < cutoff:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                       UploadId=upload["UploadId"])
                    removed += 1
        return removed


def _is_missing(error) -> bool:
    return error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound")


class _MultipartWriter(io.RawIOBase):
    """Buffers one part at a time (constant memory) and sends it; a small object is one plain PUT."""

    def __init__(self, client, bucket: str, name: str):
        super().__init__()
        self.client, self.bucket, self.name = client, bucket, name
        self._buffer = bytearray()
        self._parts: list[dict] = []
        self._upload_id: str | None = None
        self._written = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._written

    def write(self, data) -> int:
        size = len(data)
        self._buffer += data
        self._written += size
        while len(self._buffer) >= _S3_PART_BYTES:
            self._send_part(bytes(self._buffer[:_S3_PART_BYTES]))
            del self._buffer[:_S3_PART_BYTES]
        return size

    def _send_part(self, body: bytes) -> None:
        if self._upload_id is None:
            self._upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.name)["UploadId"]
        number = len(self._parts) + 1
        answer = self.client.upload_part(Bucket=self.bucket, Key=self.name, UploadId=self._upload_id,
                                         PartNumber=number, Body=body)
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def close(self) -> None:
        if self.closed:
            return
        if self._upload_id is None:
            self.client.put_object(Bucket=self.bucket, Key=self.name, Body=bytes(self._buffer))
        else:
            if self._buffer:
                self._send_part(bytes(self._buffer))
            self.client.complete_multipart_upload(Bucket=self.bucket, Key=self.name, UploadId=self._upload_id,
                                                  MultipartUpload={"Parts": self._parts})
        self._buffer = bytearray()
        super().close()

    def abort(self) -> None:
        if self._upload_id is not None:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.name, UploadId=self._upload_id)
        self._buffer = bytearray()
        super().close()


class _RangedReader(io.RawIOBase):
    """A seekable read-only file over ranged GETs, fetching ``_S3_READ_BYTES`` at a time."""

    def __init__(self, client, bucket: str, name: str, size: int):
        super().__init__()
        self.client, self.bucket, self.name, self.length = client, bucket, name, size
        self._position = 0
        self._window_start, self._window = 0, b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.length}[whence]
        self._position = max(0, base + offset)
        return self._position

    def read(self, size: int = -1) -> bytes:
        end = self.length if size is None or size < 0 else min(self.length, self._position + size)
        pieces = []
        while self._position < end:
            inside = self._position - self._window_start
            if not 0 <= inside < len(self._window):
                self._fetch(self._position, max(end - self._position, _S3_READ_BYTES))
                inside = 0
            piece = self._window[inside:inside + end - self._position]
            pieces.append(piece)
            self._position += len(piece)
        return b"".join(pieces)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def _fetch(self, start: int, size: int) -> None:
        last = min(self.length, start + size) - 1
        answer = self.client.get_object(Bucket=self.bucket, Key=self.name, Range=f"bytes={start}-{last}")
        self._window_start, self._window = start, answer["Body"].read()


class UploadStaging:
    """Uploads in progress, one folder each under ``<data_dir>/uploads/<upload id>/``, holding nothing in clear:

    - ``blob``: the sealed stream's header, then every chunk sealed so far. All but the last chunk of a sealed
      stream are exactly ``CHUNK_BYTES``, so the file only grows by whole chunks and a crash mid-append leaves a
      partial record that ``chunk_count`` cuts off. Once the last chunk is appended it *is* the finished blob.
    - ``tail``: the bytes received after the last whole chunk (less than one chunk), sealed on their own, written
      whenever a request ends (replaced atomically), bound to the chunk count they follow so a stale tail is
      recognised and ignored.
    """

    def __init__(self, root: Path):
        self.root = root

    def folder(self, upload_id: str) -> Path:
        return self.root / _checked_key(upload_id)

    def blob_path(self, upload_id: str) -> Path:
        return self.folder(upload_id) / "blob"

    def create(self, upload_id: str, header: bytes) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder(upload_id).mkdir(mode=0o700)
        descriptor = os.open(self.blob_path(upload_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(header)
            os.fsync(handle.fileno())

    def exists(self, upload_id: str) -> bool:
        return self.blob_path(upload_id).exists()

    def header(self, upload_id: str, size: int) -> bytes:
        with open(self.blob_path(upload_id), "rb") as handle:
            return handle.read(size)

    def whole_chunks(self, upload_id: str, header_bytes: int, chunk_bytes: int) -> int:
        """How many whole sealed chunks the blob holds; a partial one (a crash mid-append) is cut off."""
        path = self.blob_path(upload_id)
        count = max(0, path.stat().st_size - header_bytes) // chunk_bytes
        self.truncate(upload_id, header_bytes + count * chunk_bytes)
        return count

    def truncate(self, upload_id: str, size: int) -> None:
        path = self.blob_path(upload_id)
        if path.stat().st_size != size:
            os.truncate(path, size)

    def appender(self, upload_id: str) -> BinaryIO:
        """The blob, open for appending; the caller calls ``settle`` before saying how far it got."""
        return open(self.blob_path(upload_id), "ab")

    @staticmethod
    def settle(handle: BinaryIO) -> None:
        handle.flush()
        os.fsync(handle.fileno())

    def write_tail(self, upload_id: str, sealed: bytes) -> None:
        folder = self.folder(upload_id)
        partial = folder / f"tail.{secrets.token_hex(4)}{_PARTIAL_SUFFIX}"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(sealed)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, folder / "tail")
        finally:
            partial.unlink(missing_ok=True)

    def read_tail(self, upload_id: str) -> bytes | None:
        try:
            return (self.folder(upload_id) / "tail").read_bytes()
        except FileNotFoundError:
            return None

    def remove(self, upload_id: str) -> None:
        shutil.rmtree(self.folder(upload_id), ignore_errors=True)

    def upload_ids(self, *, older_than_seconds: float = 0) -> list[str]:
        """Folders not touched for that long (for the sweep of uploads whose row is gone)."""
        if not self.root.exists():
            return []
        cutoff = time.time() - older_than_seconds
        return [path.name for path in self.root.iterdir() if len(path.name) == 32 and self._touched(path) <= cutoff]

    @staticmethod
    def _touched(folder: Path) -> float:
        times = [folder.stat().st_mtime]
        with contextlib.suppress(FileNotFoundError):
            times.append((folder / "blob").stat().st_mtime)
        return max(times)


@functools.cache
def current_storage() -> Storage:
    settings = current_settings()
    if settings.uses_s3:
        return S3Storage.from_settings(settings)
    return LocalStorage(settings.media_dir)


@functools.cache
def current_staging() -> UploadStaging:
    return UploadStaging(current_settings().uploads_dir)
