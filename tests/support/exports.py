"""Build a person's data export the way the worker does, and open the archive it left in storage."""

from __future__ import annotations

import io
import json
import zipfile

from studio_app.database import session_scope
from studio_app.integrations.storage import current_storage
from studio_app.jobs.exports import run_export_round
from studio_app.models.privacy import DataExport
from studio_app.security.policy import Actor
from studio_app.security.stream_crypto import open_chunks
from studio_app.services import exports
from studio_app.services.keys import data_key_of


def exported(actor: Actor) -> DataExport:
    """Request an export for ``actor``, build it, and return its row."""
    with session_scope() as session:
        view = exports.request_export(session, actor)
    run_export_round()
    with session_scope() as session:
        return session.get(DataExport, view.id)


def open_archive(row: DataExport) -> zipfile.ZipFile:
    """The decrypted ZIP of a ready export (read straight from storage with the owner's key)."""
    with session_scope() as session:
        key = data_key_of(session, row.user_id)
    with current_storage().reader(row.storage_key) as source:
        data = b"".join(open_chunks(key, source, exports.export_binding(row.id)))
    return zipfile.ZipFile(io.BytesIO(data))


def category(archive: zipfile.ZipFile, name: str) -> dict:
    return json.loads(archive.read(f"{name}.json"))
