"""What both emulated providers share: the clock, injected faults, rate windows, the record tests read.

Everything lives in this one process's memory (one worker): a restart is a reset.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import hashlib
import itertools
import os
import secrets
import time
from typing import Any

FAULT_KINDS = ("rate_limit", "server_error", "timeout", "drop_connection", "expired_token", "revoked_token",
               "publish_failed")
# Route names a fault can target. ``tiktok.publish`` is consulted when an upload completes (the post then ends
# FAILED); ``discord.dm`` opens a DM channel, ``discord.message`` posts in a channel or DM.
ROUTES = ("discord.token", "discord.revoke", "discord.me", "discord.dm", "discord.message", "discord.webhook",
          "tiktok.token", "tiktok.revoke", "tiktok.user", "tiktok.creator_info", "tiktok.init", "tiktok.upload",
          "tiktok.status", "tiktok.publish")
CALLS_KEPT = 200
DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclasses.dataclass
class Fault:
    id: int
    route: str
    kind: str
    remaining: int
    retry_after: float
    extra: dict[str, Any]

    @property
    def provider(self) -> str:
        return self.route.split(".", 1)[0]

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "provider": self.provider, "route": self.route, "kind": self.kind,
                "times": self.remaining, "retry_after": self.retry_after, **self.extra}


class Sandbox:
    def __init__(self) -> None:
        self.secret = os.environ.get("STUDIO_SANDBOX_SECRET", "")
        self.audited = os.environ.get("STUDIO_SANDBOX_AUDITED", "").lower() in ("1", "true", "yes")
        self.publish_seconds = float(os.environ.get("STUDIO_SANDBOX_PUBLISH_SECONDS", "3"))
        self.reset()

    def reset(self) -> None:
        self.offset = 0.0
        self.faults: list[Fault] = []
        self._fault_ids = itertools.count(1)
        self.calls: collections.deque[dict[str, Any]] = collections.deque(maxlen=CALLS_KEPT)
        self.windows: dict[tuple, collections.deque[float]] = {}
        self.tokens: dict[str, dict[str, dict[str, int]]] = {"discord": {}, "tiktok": {}}
        self.discord: dict[str, Any] = {"codes": {}, "access": {}, "refresh": {}, "users": {}, "channels": {},
                                        "webhooks": {}, "messages": [], "dms": [], "executions": []}
        self.tiktok: dict[str, Any] = {"codes": {}, "access": {}, "refresh": {}, "users": {}, "publishes": {},
                                       "uploads": {}}

    # Time: ``now`` is the providers' clock, which tests move forward to expire tokens.
    def now(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds

    # Faults
    def add_fault(self, route: str, kind: str, times: int, retry_after: float, extra: dict[str, Any]) -> Fault:
        fault = Fault(next(self._fault_ids), route, kind, times, retry_after, extra)
        self.faults.append(fault)
        return fault

    def take_fault(self, route: str, kinds: tuple[str, ...] = FAULT_KINDS) -> Fault | None:
        """The first fault armed for this route (its count goes down by one)."""
        for fault in self.faults:
            if fault.route == route and fault.kind in kinds and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self.faults.remove(fault)
                return fault
        return None

    # Rate windows: a sliding minute (TikTok) or a fixed window per bucket (Discord), on the providers' clock.
    def hit(self, key: tuple, limit: int, window: float) -> tuple[bool, int, float]:
        """Count one request; returns (allowed, remaining, seconds until the oldest request leaves the window)."""
        now = self.now()
        stamps = self.windows.setdefault(key, collections.deque())
        while stamps and (stamps[0] <= now - window or stamps[0] > now + 1):
            stamps.popleft()
        if len(stamps) >= limit:
            return False, 0, max(0.001, stamps[0] + window - now)
        stamps.append(now)
        reset_after = stamps[0] + window - now
        return True, limit - len(stamps), reset_after

    def count_token(self, provider: str, persona: str, what: str) -> None:
        counts = self.tokens[provider].setdefault(persona, {"issued": 0, "refreshed": 0, "revoked": 0})
        counts[what] += 1

    def record_call(self, route: str, method: str, status: int) -> None:
        self.calls.append({"at": round(self.now(), 3), "route": route, "method": method, "status": status})

    def state(self) -> dict[str, Any]:
        return {
            "clock_offset": self.offset, "audited": self.audited, "publish_seconds": self.publish_seconds,
            "faults": [fault.public() for fault in self.faults], "tokens": self.tokens,
            "calls": list(self.calls),
            "discord": {"dms": self.discord["dms"], "messages": self.discord["messages"],
                        "webhook_executions": self.discord["executions"],
                        "webhooks": [{key: value for key, value in hook.items() if key != "token"}
                                     for hook in self.discord["webhooks"].values()]},
            "tiktok": {"publishes": [{key: value for key, value in publish.items() if not key.startswith("_")}
                                     for publish in self.tiktok["publishes"].values()]},
        }


def new_token(prefix: str) -> str:
    return f"{prefix}.{secrets.token_urlsafe(24)}"


def snowflake(seed: str) -> str:
    """A stable Discord-like id (17-19 digits) for a persona or channel name."""
    return str(10**17 + int.from_bytes(hashlib.sha256(seed.encode()).digest()[:7], "big"))


def log_id() -> str:
    return time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


async def wait_out(fault: Fault) -> None:
    """A ``timeout`` fault: answer only after the client has given up."""
    await asyncio.sleep(float(fault.extra.get("seconds", DEFAULT_TIMEOUT_SECONDS)))
