"""Blind indexes: find or deduplicate rows by an encrypted value without decrypting them.

An index is HMAC-SHA256 under the index key (never stored in the database) of the normalized
value, prefixed by a purpose so that equal values in different columns get unrelated indexes.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

EMAIL_PURPOSE = "email"


def normalize_email(email: str) -> str:
    """The form two spellings of one address share: NFKC, no surrounding spaces, lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def blind_index(index_key: bytes, normalized_value: str, *, purpose: str) -> str:
    """64 hex characters; equal for equal (purpose, value) under the same key."""
    message = purpose.encode() + b"\x00" + normalized_value.encode()
    return hmac.new(index_key, message, hashlib.sha256).hexdigest()


def email_index(index_key: bytes, email: str) -> str:
    """For sign-in lookup and the uniqueness constraint on accounts."""
    return blind_index(index_key, normalize_email(email), purpose=EMAIL_PURPOSE)
