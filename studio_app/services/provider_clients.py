"""The provider clients as the settings configure them (the sandbox, or the real APIs with real credentials)."""

from __future__ import annotations

import os
import threading

import httpx

from studio_app.integrations.discord import DiscordClient
from studio_app.integrations.providers import default_http
from studio_app.integrations.tiktok import TikTokClient
from studio_app.settings import current_settings

_http: dict[int, httpx.Client] = {}
_lock = threading.Lock()


def _shared_http() -> httpx.Client:
    """One connection pool per process (a queue worker is a forked process: never share a parent's sockets)."""
    with _lock:
        client = _http.get(os.getpid())
        if client is None:
            client = _http[os.getpid()] = default_http()
        return client


def client(provider: str) -> DiscordClient | TikTokClient:
    if provider == "discord":
        return discord()
    if provider == "tiktok":
        return TikTokClient(current_settings().tiktok, http=_shared_http())
    raise ValueError(f"unknown provider {provider!r}")


def discord() -> DiscordClient:
    return DiscordClient(current_settings().discord, http=_shared_http())


def is_sandbox(provider: str) -> bool:
    settings = current_settings()
    return (settings.discord if provider == "discord" else settings.tiktok).is_sandbox
