"""Named rate limits on the ``limits`` library: moving windows, in memory or in Redis.

Every limit is declared once in :data:`RATE_LIMITS`. Callers pass the key that the limit counts
by (an email's blind index, a client address); it is hashed before it reaches the storage, so
Redis never holds an email or an IP address in clear.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from studio_app.security.keyring import load_keys
from studio_app.settings import Settings, current_settings

KEY_PREFIX = "studio"
MEMORY_STORAGE = "memory://"

RATE_LIMITS: dict[str, str] = {
    # Failed sign-ins. One address's failures stop that address only, so nobody can lock an owner out; past the
    # account's ceiling (three addresses' worth: one address never reaches it) passwords stop working for a while
    # and the owner is mailed a one-time sign-in link instead (services/accounts.py).
    "signin_account_address": "10 per 15 minutes",  # key: the account's email blind index and the client address
    "signin_account": "30 per 15 minutes",  # key: the account's email blind index
    "signin_address": "30 per 15 minutes",  # key: the client address
    "signin_link_mail": "3 per hour",  # key: the account
    "signup_address": "20 per hour",  # offices share one address behind NAT
    "reset_mail_account": "3 per hour",
    "reset_mail_address": "10 per hour",
    "verification_mail": "3 per hour",  # key: the account
    "reauthenticate": "10 per 15 minutes",  # key: the user id
    "export_request": "5 per day",  # key: the user id
    "privacy_request": "10 per day",  # key: the user id
}


class UnknownRateLimit(KeyError):
    """A limit name that is not in RATE_LIMITS (a typo would otherwise limit nothing)."""


@dataclasses.dataclass(frozen=True)
class RateLimitDecision:
    allowed: bool
    retry_after_seconds: int


class RateLimiter:
    """Not bound to a request: build one per process and share it."""

    def __init__(self, storage_uri: str = MEMORY_STORAGE, *, key_prefix: str = KEY_PREFIX, secret: bytes = b""):
        # Keys are HMACed: a bare SHA-256 of an IPv4 address is reversed by trying all 2**32 of them.
        self._secret = secret
        options = {} if storage_uri.startswith("memory") else {"key_prefix": key_prefix}
        self._strategy = MovingWindowRateLimiter(storage_from_string(storage_uri, **options))
        self._items = {name: parse(rate) for name, rate in RATE_LIMITS.items()}

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(settings.redis_url or MEMORY_STORAGE, secret=load_keys(settings).index_key)

    def hit(self, name: str, key: str) -> RateLimitDecision:
        """Count one attempt, unless the limit is already reached."""
        item, identifiers = self._item(name), self._identifiers(name, key)
        if self._strategy.hit(item, *identifiers):
            return RateLimitDecision(allowed=True, retry_after_seconds=0)
        return RateLimitDecision(allowed=False, retry_after_seconds=self._retry_after(item, identifiers))

    def check(self, name: str, key: str) -> RateLimitDecision:
        """Whether one more attempt would be allowed, without counting it."""
        item, identifiers = self._item(name), self._identifiers(name, key)
        if self._strategy.test(item, *identifiers):
            return RateLimitDecision(allowed=True, retry_after_seconds=0)
        return RateLimitDecision(allowed=False, retry_after_seconds=self._retry_after(item, identifiers))

    def reset(self, name: str, key: str) -> None:
        self._strategy.clear(self._item(name), *self._identifiers(name, key))

    def _identifiers(self, name: str, key: str) -> tuple[str, str]:
        return name, hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()

    def _item(self, name: str) -> RateLimitItem:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownRateLimit(f"no rate limit named {name!r}; see RATE_LIMITS") from None

    def _retry_after(self, item: RateLimitItem, identifiers: tuple[str, str]) -> int:
        reset_time = self._strategy.get_window_stats(item, *identifiers).reset_time
        return max(1, math.ceil(reset_time - time.time()))


@functools.cache
def current_rate_limiter() -> RateLimiter:
    """One limiter per process, on Redis when configured so that every worker shares the counts."""
    return RateLimiter.from_settings(current_settings())
