"""How pages write quantities for people (one way across the app)."""

from __future__ import annotations


def file_size(size: int | None) -> str:
    """In decimal units, as file managers show them: "37.8 MB"; "" when there is no size to show."""
    if not size:
        return ""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return ""
