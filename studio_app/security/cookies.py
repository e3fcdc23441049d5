"""Every cookie the app sets, in one register (the cookies page and its test read it)."""

from __future__ import annotations

import dataclasses
from http.cookies import CookieError, SimpleCookie

from studio_app.settings import Settings


@dataclasses.dataclass(frozen=True)
class CookieSpec:
    name: str
    purpose: str
    lifetime: str
    flags: str


def session_cookie_name(settings: Settings) -> str:
    # Browsers accept the __Host- prefix only with Secure, which plain-http development cannot set.
    return "__Host-studio_session" if settings.is_https else "studio_session"


def cookie_register(settings: Settings) -> tuple[CookieSpec, ...]:
    secure = "; Secure" if settings.is_https else ""
    return (
        CookieSpec(
            name=session_cookie_name(settings),
            purpose="Keeps you signed in. Holds a random value; the server stores only its hash.",
            lifetime=f"Until you sign out, after {settings.session_idle_minutes} minutes without activity, "
            f"or {settings.session_max_days} days at most",
            flags=f"HttpOnly; SameSite=Lax; Path=/{secure}",
        ),
    )


def read_session_secret(settings: Settings, cookie_header: str | None) -> str | None:
    if not cookie_header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(session_cookie_name(settings))
    return morsel.value if morsel else None
