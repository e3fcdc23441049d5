"""Where the app may send a browser after an action: only paths on this site (no open redirect)."""

from urllib.parse import urlsplit


def local_path(candidate: str | None, default: str) -> str:
    if not candidate or not candidate.startswith("/") or candidate.startswith("//") or "\\" in candidate:
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc:
        return default
    return candidate
