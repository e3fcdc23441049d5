"""The provider clients as the settings configure them (the sandbox, or the real APIs with real credentials)."""

from __future__ import annotations

from studio_app.integrations.discord import DiscordClient
from studio_app.integrations.tiktok import TikTokClient
from studio_app.settings import current_settings


def client(provider: str) -> DiscordClient | TikTokClient:
    settings = current_settings()
    if provider == "discord":
        return DiscordClient(settings.discord)
    if provider == "tiktok":
        return TikTokClient(settings.tiktok)
    raise ValueError(f"unknown provider {provider!r}")


def discord() -> DiscordClient:
    return client("discord")


def is_sandbox(provider: str) -> bool:
    settings = current_settings()
    return (settings.discord if provider == "discord" else settings.tiktok).is_sandbox
