"""Writing the archive as a stream: one JSON file per category, the person's files under ``files/``, the README.

Rows are read in batches and blobs chunk by chunk, and the ZIP (data descriptors, no seeking) goes to a
writable stream (the worker's sealing writer into storage), so memory stays flat whatever the person's size.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from datetime import date, datetime
from typing import BinaryIO, Protocol

from sqlmodel import Session

from studio_app.models.base import utcnow
from studio_app.security.crypto import DataKey
from studio_app.security.fields import get_decrypted
from studio_app.services import files
from studio_app.services.exports.exporters import archive_path, exporters_of_file, file_key, stored_files, work_units
from studio_app.services.exports.schema import FILES, SCHEMA_PREFIX, SCHEMA_VERSION, readme
from studio_app.services.keys import project_keys_of

JSON_FLUSH_BYTES = 256 * 1024


class Progress(Protocol):
    """Where the writer reports its work (the worker turns it into a percentage and a heartbeat)."""

    total: int

    def advance(self, units: int) -> None: ...


class FileUnreadable(Exception):
    """A file of the person could not be read back from storage."""


def write_archive(session: Session, user_id: str, key: DataKey, target: BinaryIO, progress: Progress, *,
                  public_url: str, only: list[str] | None = None, readme_text: str | None = None) -> None:
    """Write the whole archive of ``user_id`` to ``target``, reading with ``session``; ``only`` some of its files
    (a disclosure to an authority hands over exactly its categories), with their own README."""
    generated_at = utcnow()
    progress.total = work_units(session, user_id)
    names = [name for name in FILES if only is None or name in only]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        run = Run(session, user_id, key, archive, progress, generated_at)
        for name in names:
            with Items(archive, name, generated_at, progress) as items:
                for exporter in exporters_of_file(name):
                    exporter.write(run, items)
                    progress.advance(1)
        if "files" in names:
            _write_blobs(run)
        archive.writestr("README.md", readme_text or readme(generated_at, public_url))


@dataclasses.dataclass
class Run:
    session: Session
    user_id: str
    key: DataKey
    archive: zipfile.ZipFile
    progress: Progress
    generated_at: datetime
    _project_keys: dict[str, DataKey] = dataclasses.field(default_factory=dict)

    def project_keys(self, project_ids) -> dict[str, DataKey]:
        missing = {project_id for project_id in project_ids if project_id not in self._project_keys}
        if missing:
            self._project_keys.update(project_keys_of(self.session, missing))
        return self._project_keys


class Items:
    """One category file, written as a stream: the header, then items as they come, then the closing brackets."""

    def __init__(self, archive: zipfile.ZipFile, name: str, generated_at: datetime, progress: Progress):
        self._stream = archive.open(f"{name}.json", "w", force_zip64=True)
        self._progress = progress
        header = {"schema": f"{SCHEMA_PREFIX}/{name}", "version": SCHEMA_VERSION,
                  "generated_at": generated_at.isoformat()}
        self._buffer = [json.dumps(header, ensure_ascii=False)[:-1] + ', "items": [']
        self._buffered = 0
        self._first = True

    def add(self, item_type: str, **fields) -> None:
        self.add_all([{"type": item_type, **fields}])

    def add_all(self, items: list[dict]) -> None:
        """Items that already carry their "type", encoded in one call (a batch of messages)."""
        if not items:
            return
        text = _ENCODER.encode(items)[1:-1]
        self._buffer.append(("\n" if self._first else ",\n") + text)
        self._first = False
        self._buffered += len(text)
        if self._buffered >= JSON_FLUSH_BYTES:
            self._flush()
            self._progress.advance(0)  # a long list still beats the heart

    def _flush(self) -> None:
        self._stream.write("".join(self._buffer).encode())
        self._buffer, self._buffered = [], 0

    def __enter__(self) -> Items:
        return self

    def __exit__(self, kind, *_) -> None:
        if kind is None:
            self._buffer.append("\n]}\n")
            self._flush()
        self._stream.close()


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


# One encoder for every item (``json.dumps`` with options builds a new one per call).
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=_json_value)


def _stored_entry(name: str, moment: datetime) -> zipfile.ZipInfo:
    """An archive entry kept as is: videos and images are compressed already."""
    info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


def _write_blobs(run: Run) -> None:
    for row in stored_files(run):
        key = file_key(run, row)
        info = _stored_entry(archive_path(row, get_decrypted(row, "name_encrypted", data_key=key)), row.created_at)
        with run.archive.open(info, "w", force_zip64=True) as target:
            try:
                for chunk in files.read_blob(row, key):
                    target.write(chunk)
                    run.progress.advance(len(chunk) // 65536)
            except (OSError, ValueError) as error:
                raise FileUnreadable(row.id) from error

