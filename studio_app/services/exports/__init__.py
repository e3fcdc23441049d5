"""Data exports ("access and portability"): a ZIP of everything we hold about one person, built in the background.

The archive holds one JSON file per category (``{"schema", "version", "generated_at", "items"}``), the files the
person uploaded under ``files/``, and a README.md that documents every file and field (``schema``). It is
written as a stream (``archive``) from the exporters that say which table feeds which file (``exporters``);
``requests`` holds what the person asks for and what a worker records. The worker that builds them, owning
its transactions, is ``jobs/exports.py``.
"""

from studio_app.services.exports.archive import FileUnreadable, Progress, write_archive
from studio_app.services.exports.exporters import EXPORTERS, Exporter, exporters_of_file
from studio_app.services.exports.requests import (
    ACTIVE,
    EXPORT_DAYS,
    FAILED_REASON,
    FILE_UNREADABLE_REASON,
    STALE_AFTER,
    ExportView,
    claim_next,
    claimed,
    expire_exports,
    export_binding,
    exports_of,
    mark_failed,
    mark_ready,
    open_export,
    record_progress,
    request_export,
    requeue_stale,
)
from studio_app.services.exports.schema import (
    FIELDS,
    FILES,
    NOT_EXPORTED,
    SCHEMA_PREFIX,
    SCHEMA_VERSION,
    WITHHELD_COLUMNS,
    readme,
)

__all__ = [
    "ACTIVE", "EXPORTERS", "EXPORT_DAYS", "FAILED_REASON", "FIELDS", "FILES", "FILE_UNREADABLE_REASON",
    "NOT_EXPORTED", "SCHEMA_PREFIX", "SCHEMA_VERSION", "STALE_AFTER", "WITHHELD_COLUMNS", "ExportView", "Exporter",
    "FileUnreadable", "Progress", "claim_next", "claimed", "expire_exports", "export_binding", "exporters_of_file",
    "exports_of",
    "mark_failed", "mark_ready", "open_export", "readme", "record_progress", "request_export", "requeue_stale",
    "write_archive",
]
