"""Checks of what people type, with messages in plain words. Used as they type and again on submit."""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email
from zxcvbn import zxcvbn

from studio_app.errors import UserError
from studio_app.security.blind_index import normalize_email

EMAIL_MAX = 254
PASSWORD_MIN = 10
PASSWORD_MAX = 128
DISPLAY_NAME_MAX = 80
SIGNUP_ROLES = ("producer", "editor")


class InvalidInput(UserError):
    """A value the user must fix; ``field`` says which input it belongs to (given first: it always has one)."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field)


def check_email(email: object, *, field: str = "email") -> str:
    if not isinstance(email, str) or not email.strip():
        raise InvalidInput(field, "Enter your email address.")
    if len(email) > EMAIL_MAX:
        raise InvalidInput(field, f"An email address has at most {EMAIL_MAX} characters.")
    try:
        valid = validate_email(normalize_email(email), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput(field, "This does not look like an email address (like name@example.com).") from None
    return valid.normalized.lower()


def check_password(password: object, *, related: tuple[str, ...] = (), field: str = "password") -> str:
    if not isinstance(password, str) or not password:
        raise InvalidInput(field, "Choose a password.")
    if len(password) < PASSWORD_MIN:
        raise InvalidInput(field, f"Use at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(field, f"Use at most {PASSWORD_MAX} characters.")
    # zxcvbn knows the common passwords, keyboard walks, dates and words from the user's own details.
    strength = zxcvbn(password, user_inputs=[part for part in related if part])
    if strength["score"] < 3:
        hint = strength["feedback"].get("warning") or "It would be guessed quickly."
        raise InvalidInput(field, f"This password is too easy to guess. {hint} Add more words or characters.")
    return password


def check_line(value: object, *, field: str, max_length: int, missing: str) -> str:
    """One line of text people will read: trimmed, NFKC-normalized, bounded, without control characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, missing)
    value = unicodedata.normalize("NFKC", value).strip()
    if len(value) > max_length:
        raise InvalidInput(field, f"Use at most {max_length} characters.")
    if any(unicodedata.category(char).startswith("C") for char in value):
        raise InvalidInput(field, "Use letters, numbers, spaces and punctuation only.")
    return value


def check_display_name(name: object, *, field: str = "display_name") -> str:
    return check_line(name, field=field, max_length=DISPLAY_NAME_MAX, missing="Enter the name others will see.")


def check_signup_role(role: object) -> str:
    if role not in SIGNUP_ROLES:
        raise InvalidInput("role", "Choose whether you are a producer or an editor.")
    return role
