"""Rules the provider clients apply before any request: message splitting, TikTok's chunk plan and PKCE, and
which provider a configuration points at."""

import hashlib
import itertools

import pytest

from studio_app.integrations.discord import split_message
from studio_app.integrations.tiktok import MB, chunk_plan, code_challenge
from studio_app.sandbox import discord as sandbox_discord
from studio_app.sandbox import tiktok as sandbox_tiktok
from studio_app.settings import (
    SANDBOX_DISCORD_BOT_TOKEN,
    SANDBOX_DISCORD_CLIENT_ID,
    SANDBOX_DISCORD_CLIENT_SECRET,
    SANDBOX_TIKTOK_CLIENT_KEY,
    SANDBOX_TIKTOK_CLIENT_SECRET,
    load_settings,
)


def test_split_message_cuts_at_lines_then_words_then_anywhere():
    text = "\n".join(["a" * 1500, "b" * 1500, " ".join(["word"] * 500), "x" * 4500])
    pieces = split_message(text)
    assert all(len(piece) <= 2000 for piece in pieces)
    assert pieces[:2] == ["a" * 1500, "b" * 1500]
    assert all(not piece.startswith(" ") and not piece.endswith(" ") for piece in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert split_message("short") == ["short"] and split_message("  \n ") == []


@pytest.mark.parametrize("size", [1, 5 * MB - 1, 5 * MB, 16 * MB, 16 * MB + 1, 64 * MB, 64 * MB + 1, 1024 * MB,
                                  1024 * MB + 12345, 20 * 1024 * MB])
def test_chunk_plan_follows_tiktok_rules(size):
    plan = chunk_plan(size)
    ranges = list(plan.ranges())
    assert plan.total_chunk_count == len(ranges) and 1 <= len(ranges) <= 1000
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(ranges))
    if size < 5 * MB:
        assert plan.chunk_size == size
    else:
        assert 5 * MB <= plan.chunk_size <= 64 * MB
        assert plan.total_chunk_count == size // plan.chunk_size
        assert ranges[-1][1] - ranges[-1][0] + 1 <= 128 * MB


def test_code_challenge_is_hex_sha256():
    assert code_challenge("verifier") == hashlib.sha256(b"verifier").hexdigest()


def test_sandbox_and_settings_agree_on_sandbox_credentials():
    assert (SANDBOX_DISCORD_CLIENT_ID, SANDBOX_DISCORD_CLIENT_SECRET, SANDBOX_DISCORD_BOT_TOKEN) == (
        sandbox_discord.CLIENT_ID, sandbox_discord.CLIENT_SECRET, sandbox_discord.BOT_TOKEN)
    assert (SANDBOX_TIKTOK_CLIENT_KEY, SANDBOX_TIKTOK_CLIENT_SECRET) == (sandbox_tiktok.CLIENT_KEY,
                                                                        sandbox_tiktok.CLIENT_SECRET)


def test_providers_use_the_sandbox_until_real_credentials_are_set(tmp_path):
    settings = load_settings({"STUDIO_DATA_DIR": str(tmp_path)})
    assert settings.discord.is_sandbox and settings.tiktok.is_sandbox and settings.starts_sandbox
    assert settings.discord.base_url == "http://127.0.0.1:3100/discord"
    assert settings.tiktok.api_url == "http://127.0.0.1:3100/tiktok/open"

    real = load_settings({"STUDIO_DATA_DIR": str(tmp_path), "STUDIO_TIKTOK_CLIENT_KEY": "key",
                          "STUDIO_TIKTOK_CLIENT_SECRET": "real-secret", "STUDIO_SANDBOX_URL": "http://sb:9/"})
    assert not real.tiktok.is_sandbox and real.tiktok.api_url == "https://open.tiktokapis.com"
    assert real.discord.is_sandbox and real.discord.base_url == "http://sb:9/discord"
    assert not real.starts_sandbox  # a sandbox elsewhere is named
    assert "real-secret" not in repr(real) and "real-secret" not in repr(real.tiktok)
