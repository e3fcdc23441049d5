"""Password hashing: argon2id over HMAC-SHA256(pepper, password).

The pepper lives with the keys, outside the database, so hashes stolen with the database
cannot be attacked offline. Argon2's encoded hash carries its own salt and parameters, which
is how ``verify_password`` notices hashes made with older parameters and upgrades them.

Hashing takes about 0.1 s of CPU on purpose: call it from a thread, never on the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

from argon2 import PasswordHasher, Type
from argon2.exceptions import VerificationError

# RFC 9106's second recommended option with one lane; OWASP's floor is 19 MiB and 2 passes.
MEMORY_COST_KIB = 65536
TIME_COST = 3
PARALLELISM = 1

DEFAULT_HASHER = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    type=Type.ID,
)


def hash_password(password: str, *, pepper: bytes, hasher: PasswordHasher | None = None) -> str:
    return (hasher or DEFAULT_HASHER).hash(_peppered(password, pepper))


def verify_password(
    stored_hash: str, password: str, *, pepper: bytes, hasher: PasswordHasher | None = None
) -> tuple[bool, str | None]:
    """(whether the password matches, a new hash to store if the stored one uses old parameters).

    A stored hash that is not an argon2 hash at all raises argon2's InvalidHashError: that is
    corrupt data to investigate, not a wrong password.
    """
    # DEFAULT_HASHER is read at call time, not bound as a default value: tests that are not about hashing
    # swap in a cheap one (tests/conftest.py).
    hasher = hasher or DEFAULT_HASHER
    peppered = _peppered(password, pepper)
    try:
        hasher.verify(stored_hash, peppered)
    except VerificationError:
        return False, None
    if hasher.check_needs_rehash(stored_hash):
        return True, hasher.hash(peppered)
    return True, None


def _peppered(password: str, pepper: bytes) -> bytes:
    # NFKC so that the same password typed on another keyboard or OS still matches (NIST 800-63B).
    normalized = unicodedata.normalize("NFKC", password)
    return hmac.new(pepper, normalized.encode(), hashlib.sha256).digest()
